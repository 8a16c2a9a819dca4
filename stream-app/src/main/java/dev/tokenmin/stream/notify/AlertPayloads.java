package dev.tokenmin.stream.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.AnomalyCause;
import dev.tokenmin.avro.AnomalyDetail;
import dev.tokenmin.avro.BudgetThresholdDetail;
import dev.tokenmin.avro.Contributor;
import dev.tokenmin.avro.UnpricedModelDetail;
import dev.tokenmin.schemas.NanoUsd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * Webhook bodies. tokenmin's JSON carries the alert's fields, {@code idempotency_key} (the alert id: a receiver
 * that has seen it can ignore the request) and the detail of its kind; the Slack form is {@code {"text": ...}}
 * with the summary and a line of figures.
 */
final class AlertPayloads {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AlertPayloads() {
    }

    static byte[] json(Alert a) {
        ObjectNode n = JSON.createObjectNode();
        n.put("idempotency_key", a.getAlertId().toString());
        n.put("alert_id", a.getAlertId().toString());
        n.put("kind", a.getKind().name().toLowerCase(Locale.ROOT));
        n.put("severity", a.getSeverity().name().toLowerCase(Locale.ROOT));
        n.put("scope", a.getScope());
        n.put("raised_at", a.getRaisedAt().toString());
        n.put("summary", a.getSummary());
        ObjectNode d = n.putObject("detail");
        switch (a.getDetail()) {
            case BudgetThresholdDetail b -> d.put("budget_id", b.getBudgetId())
                    .put("threshold_percent", b.getThresholdPercent()).put("spent", b.getSpent())
                    .put("limit", b.getLimit()).put("limit_unit", b.getLimitUnit().name()).put("hard", b.getHard())
                    .put("action", b.getAction().name())
                    .put("period_end", b.getPeriodEnd() == null ? null : b.getPeriodEnd().toString());
            case AnomalyDetail x -> {
                d.put("dimension", x.getDimension()).put("window", x.getWindowKind().name().toLowerCase(Locale.ROOT))
                        .put("window_start", x.getWindowStart().toString())
                        .put("window_end", x.getWindowEnd().toString())
                        .put("current_usd", NanoUsd.format(x.getCurrentNanos()))
                        .put("baseline_usd", NanoUsd.format(x.getBaselineNanos()))
                        .put("ratio", x.getRatioMicros() / 1e6);
                ArrayNode causes = d.putArray("causes");
                for (AnomalyCause c : x.getCauses()) {
                    causes.addObject().put("factor", c.getFactor().name().toLowerCase(Locale.ROOT))
                            .put("ratio", c.getRatioMicros() / 1e6);
                }
                ArrayNode top = d.putArray("top_contributors");
                for (Contributor c : x.getTopContributors()) {
                    top.addObject().put("dimension", c.getDimension()).put("id", c.getId())
                            .put("cost_usd", NanoUsd.format(c.getCostNanos()))
                            .put("share", c.getShareBasisPoints() / 10_000.0);
                }
            }
            case UnpricedModelDetail u -> d.put("provider", u.getProvider()).put("model", u.getModel())
                    .put("first_seen_at", u.getFirstSeenAt().toString());
            default -> d.put("type", a.getDetail().getClass().getSimpleName());
        }
        return bytes(n);
    }

    static byte[] slack(Alert a) {
        ObjectNode n = JSON.createObjectNode();
        n.put("text", "*tokenmin " + a.getSeverity().name().toLowerCase(Locale.ROOT) + "* " + a.getSummary()
                + " (alert " + a.getAlertId() + ")");
        return bytes(n);
    }

    private static byte[] bytes(ObjectNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
