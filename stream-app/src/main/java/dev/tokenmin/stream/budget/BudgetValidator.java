package dev.tokenmin.stream.budget;

import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.BudgetPeriod;
import dev.tokenmin.avro.LadderStep;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.schemas.scope.ScopeKey;
import dev.tokenmin.schemas.validation.FieldError;
import dev.tokenmin.schemas.validation.InvalidUsageException;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a budget before it is written to the budgets topic, naming every field at fault: a stable id, a scope key
 * in canonical form, a positive limit, a valid IANA time zone, a session period only on a session scope, and a
 * ladder whose thresholds ascend and whose steps carry what their action needs (a tier cap for DOWNGRADE and
 * stricter, a context cap for LIMIT_CONTEXT).
 */
public final class BudgetValidator {

    private BudgetValidator() {
    }

    /** @throws InvalidUsageException listing each invalid field, e.g. {@code ladder[1].threshold_percent} */
    public static void validate(Budget budget) {
        List<FieldError> errors = new ArrayList<>();
        if (budget.getBudgetId() == null || !ScopeKey.isValidId(budget.getBudgetId())) {
            errors.add(new FieldError("budget_id", "must be " + ScopeKey.ID_RULE));
        }
        ScopeKey scope = null;
        try {
            scope = ScopeKey.parse(budget.getScope());
            if (!scope.toString().equals(budget.getScope())) {
                errors.add(new FieldError("scope", "write it as \"" + scope + "\""));
            }
        } catch (IllegalArgumentException e) {
            errors.add(new FieldError("scope", e.getMessage()));
        }
        if (budget.getPeriod() == null) {
            errors.add(new FieldError("period", "missing: day, month or session"));
        } else if (scope != null && (budget.getPeriod() == BudgetPeriod.SESSION)
                != (scope.kind() == ScopeKey.Kind.SESSION)) {
            errors.add(new FieldError("period", budget.getPeriod() == BudgetPeriod.SESSION
                    ? "session periods need a session scope (session:<id>)"
                    : "a session scope's budget lasts the session: use period session"));
        }
        try {
            ZoneId.of(budget.getTimeZone() == null ? "" : budget.getTimeZone());
        } catch (DateTimeException e) {
            errors.add(new FieldError("time_zone", "not an IANA time zone such as Europe/Berlin: \""
                    + budget.getTimeZone() + "\""));
        }
        if (budget.getLimitUnit() == null) {
            errors.add(new FieldError("limit_unit", "missing: nano_usd or tokens"));
        }
        if (budget.getLimit() <= 0) {
            errors.add(new FieldError("limit", "must be positive, was " + budget.getLimit()));
        }
        List<LadderStep> ladder = budget.getLadder() == null ? List.of() : budget.getLadder();
        if (budget.getHard() && ladder.isEmpty()) {
            errors.add(new FieldError("ladder", "a hard budget needs at least one step, e.g. 100% BLOCK"));
        }
        int previous = 0;
        for (int i = 0; i < ladder.size(); i++) {
            LadderStep step = ladder.get(i);
            String at = "ladder[" + i + "].";
            if (step.getThresholdPercent() <= previous) {
                errors.add(new FieldError(at + "threshold_percent", i == 0
                        ? "must be positive, was " + step.getThresholdPercent()
                        : "must be above the previous step's " + previous + ", was " + step.getThresholdPercent()));
            }
            previous = Math.max(previous, step.getThresholdPercent());
            ThrottleAction action = step.getAction();
            if (action == null || action == ThrottleAction.NONE) {
                errors.add(new FieldError(at + "action", "one of downgrade, limit_context, block"));
                continue;
            }
            if (action != ThrottleAction.BLOCK && (step.getMaxModelTier() == null || step.getMaxModelTier().isBlank())) {
                errors.add(new FieldError(at + "max_model_tier", "missing: " + action + " caps the model tier"));
            }
            if (action == ThrottleAction.LIMIT_CONTEXT && (step.getMaxInputTokens() == null
                    || step.getMaxInputTokens() <= 0)) {
                errors.add(new FieldError(at + "max_input_tokens", "must be a positive cap for LIMIT_CONTEXT"));
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidUsageException(errors);
        }
    }
}
