package dev.tokenmin.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenmin.avro.ThrottleDecision;

/** A throttle decision as the HTTP APIs show it: the Avro fields, snake_case, instants in ISO-8601. */
public final class DecisionJson {

    private DecisionJson() {
    }

    public static ObjectNode of(ThrottleDecision d) {
        ObjectNode n = Reply.object();
        n.put("scope", d.getScope());
        n.put("action", d.getAction().name());
        n.put("max_model_tier", d.getMaxModelTier());
        if (d.getMaxInputTokens() == null) {
            n.putNull("max_input_tokens");
        } else {
            n.put("max_input_tokens", d.getMaxInputTokens());
        }
        n.put("reason", d.getReason());
        n.put("budget_id", d.getBudgetId());
        n.put("spent", d.getSpent());
        n.put("limit", d.getLimit());
        n.put("limit_unit", d.getLimitUnit().name());
        n.put("period_end", d.getPeriodEnd() == null ? null : d.getPeriodEnd().toString());
        n.put("decided_at", d.getDecidedAt().toString());
        return n;
    }
}
