package dev.tokenmin.stream.budget;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.BudgetPeriod;
import dev.tokenmin.avro.LadderStep;
import dev.tokenmin.avro.LimitUnit;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.schemas.NanoUsd;
import dev.tokenmin.schemas.validation.FieldError;
import dev.tokenmin.schemas.validation.InvalidUsageException;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Budgets as people write them, in JSON (the REST API) or YAML (the command), and back:
 * <pre>
 * budget_id: acme-monthly
 * scope: customer:acme            # global, customer:c, customer:c/user:u, .../feature:f, .../team:t, session:s
 * period: month                   # day, month (calendar, in time_zone) or session
 * time_zone: Europe/Berlin        # default UTC
 * limit_usd: "500"                # or limit_tokens: 2000000 (input + cached input + cache writes + output)
 * hard: true                      # false (default): alerts only
 * ladder:
 *   - {threshold_percent: 80, action: downgrade, max_model_tier: small}
 *   - {threshold_percent: 90, action: limit_context, max_model_tier: small, max_input_tokens: 8000}
 *   - {threshold_percent: 100, action: block}
 * </pre>
 * Every problem is reported at once, each naming its field ({@code budgets[1].ladder[0].action}); the rules are
 * {@link BudgetValidator}'s.
 */
public final class BudgetDocuments {

    public static final ObjectMapper JSON = new ObjectMapper();
    public static final ObjectMapper YAML = new YAMLMapper();

    /** Fields a document may have; {@code updated_at} is set by tokenmin and ignored on input (so a budget read back
     *  can be written again as it is). */
    private static final Set<String> FIELDS = Set.of("budget_id", "scope", "period", "time_zone", "limit_usd",
            "limit_tokens", "hard", "ladder", "updated_at");
    private static final Set<String> STEP_FIELDS = Set.of("threshold_percent", "action", "max_model_tier",
            "max_input_tokens");

    private BudgetDocuments() {
    }

    /**
     * A file of budgets: one budget, a list of them, or a mapping with a {@code budgets} list.
     *
     * @throws InvalidUsageException naming every field at fault, {@code budgets[i].}-prefixed for lists
     */
    public static List<Budget> parseFile(String text, Instant now) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (IOException e) {
            throw new InvalidUsageException("file", "neither YAML nor JSON: " + e.getMessage());
        }
        if (root != null && root.isObject() && root.has("budgets")) {
            root = root.get("budgets");
        }
        if (root == null || !(root.isArray() || root.isObject())) {
            throw new InvalidUsageException("file", "must hold a budget, a list of budgets, or budgets: [...]");
        }
        if (root.isObject()) {
            return List.of(parse(root, "", now));
        }
        List<Budget> budgets = new ArrayList<>();
        List<FieldError> errors = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            try {
                budgets.add(parse(root.get(i), "budgets[" + i + "].", now));
            } catch (InvalidUsageException e) {
                errors.addAll(e.errors());
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidUsageException(errors);
        }
        return budgets;
    }

    /**
     * One budget document.
     *
     * @param at  prefix of field names in errors ({@code ""} or {@code budgets[2].})
     * @param now its {@code updated_at}
     */
    public static Budget parse(JsonNode node, String at, Instant now) {
        if (node == null || !node.isObject()) {
            throw new InvalidUsageException(at.isEmpty() ? "budget" : at.substring(0, at.length() - 1),
                    "must be an object with budget_id, scope, period, a limit and a ladder");
        }
        List<FieldError> errors = new ArrayList<>();
        unknown(node, FIELDS, at, errors);
        Budget b = new Budget();
        b.setBudgetId(text(node, "budget_id"));
        b.setScope(text(node, "scope"));
        b.setPeriod(symbol(node, "period", BudgetPeriod.class, at, errors));
        b.setTimeZone(node.hasNonNull("time_zone") ? node.get("time_zone").asText() : "UTC");
        String limitField = limit(node, b, at, errors);
        JsonNode hard = node.get("hard");
        if (hard != null && !hard.isNull() && !hard.isBoolean()) {
            errors.add(new FieldError(at + "hard", "true or false, was " + hard));
        }
        b.setHard(hard != null && hard.asBoolean(false));
        List<LadderStep> ladder = new ArrayList<>();
        JsonNode steps = node.get("ladder");
        if (steps != null && !steps.isNull() && !steps.isArray()) {
            errors.add(new FieldError(at + "ladder", "must be a list of steps"));
        } else if (steps != null) {
            for (int i = 0; i < steps.size(); i++) {
                ladder.add(step(steps.get(i), at + "ladder[" + i + "].", errors));
            }
        }
        b.setLadder(ladder);
        b.setUpdatedAt(now);
        if (errors.isEmpty()) {
            try {
                BudgetValidator.validate(b);
            } catch (InvalidUsageException e) {
                for (FieldError err : e.errors()) {
                    String field = err.field().equals("limit") || err.field().equals("limit_unit") ? limitField
                            : err.field();
                    errors.add(new FieldError(at + field, err.reason()));
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidUsageException(errors);
        }
        return b;
    }

    /** Sets the limit from {@code limit_usd} or {@code limit_tokens}; returns which one names it in errors. */
    private static String limit(JsonNode node, Budget b, String at, List<FieldError> errors) {
        JsonNode usd = node.get("limit_usd");
        JsonNode tokens = node.get("limit_tokens");
        if ((usd == null) == (tokens == null)) {
            errors.add(new FieldError(at + "limit_usd", usd == null ? "missing: give limit_usd or limit_tokens"
                    : "give limit_usd or limit_tokens, not both"));
            return "limit_usd";
        }
        if (usd != null) {
            b.setLimitUnit(LimitUnit.NANO_USD);
            try {
                b.setLimit(NanoUsd.fromUsd(new BigDecimal(usd.asText().strip())));
            } catch (NumberFormatException | ArithmeticException e) {
                errors.add(new FieldError(at + "limit_usd", "a USD amount such as \"250.00\", was " + usd));
            }
            return "limit_usd";
        }
        b.setLimitUnit(LimitUnit.TOKENS);
        if (!tokens.canConvertToLong() || !tokens.isIntegralNumber()) {
            errors.add(new FieldError(at + "limit_tokens", "a whole number of tokens, was " + tokens));
        } else {
            b.setLimit(tokens.asLong());
        }
        return "limit_tokens";
    }

    private static LadderStep step(JsonNode node, String at, List<FieldError> errors) {
        LadderStep step = new LadderStep();
        if (node == null || !node.isObject()) {
            errors.add(new FieldError(at.substring(0, at.length() - 1), "must be an object with threshold_percent "
                    + "and action"));
            return step;
        }
        unknown(node, STEP_FIELDS, at, errors);
        JsonNode percent = node.get("threshold_percent");
        if (percent == null || !percent.canConvertToInt() || !percent.isIntegralNumber()) {
            errors.add(new FieldError(at + "threshold_percent", "a whole percentage such as 80, was " + percent));
        } else {
            step.setThresholdPercent(percent.asInt());
        }
        step.setAction(symbol(node, "action", ThrottleAction.class, at, errors));
        step.setMaxModelTier(text(node, "max_model_tier"));
        JsonNode maxInput = node.get("max_input_tokens");
        if (maxInput != null && !maxInput.isNull()) {
            if (!maxInput.isIntegralNumber() || !maxInput.canConvertToLong()) {
                errors.add(new FieldError(at + "max_input_tokens", "a whole number of tokens, was " + maxInput));
            } else {
                step.setMaxInputTokens(maxInput.asLong());
            }
        }
        return step;
    }

    private static void unknown(JsonNode node, Set<String> known, String at, List<FieldError> errors) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!known.contains(name)) {
                errors.add(new FieldError(at + name, "unknown field; known: " + String.join(", ",
                        known.stream().sorted().toList())));
            }
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText().strip();
    }

    private static <E extends Enum<E>> E symbol(JsonNode node, String field, Class<E> type, String at,
                                                List<FieldError> errors) {
        String v = text(node, field);
        List<String> names = Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).toList();
        if (v == null) {
            errors.add(new FieldError(at + field, "missing: one of " + String.join(", ", names)));
            return null;
        }
        try {
            return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            errors.add(new FieldError(at + field, "one of " + String.join(", ", names) + ", was \"" + v + "\""));
            return null;
        }
    }

    /** A budget in the same form people write it. */
    public static ObjectNode toJson(Budget b) {
        ObjectNode n = JSON.createObjectNode();
        n.put("budget_id", b.getBudgetId());
        n.put("scope", b.getScope());
        n.put("period", b.getPeriod().name().toLowerCase(Locale.ROOT));
        n.put("time_zone", b.getTimeZone());
        if (b.getLimitUnit() == LimitUnit.NANO_USD) {
            n.put("limit_usd", NanoUsd.format(b.getLimit()));
        } else {
            n.put("limit_tokens", b.getLimit());
        }
        n.put("hard", b.getHard());
        ArrayNode ladder = n.putArray("ladder");
        for (LadderStep s : b.getLadder()) {
            ObjectNode step = ladder.addObject().put("threshold_percent", s.getThresholdPercent())
                    .put("action", s.getAction().name().toLowerCase(Locale.ROOT));
            if (s.getMaxModelTier() != null) {
                step.put("max_model_tier", s.getMaxModelTier());
            }
            if (s.getMaxInputTokens() != null) {
                step.put("max_input_tokens", s.getMaxInputTokens());
            }
        }
        n.put("updated_at", b.getUpdatedAt().toString());
        return n;
    }
}
