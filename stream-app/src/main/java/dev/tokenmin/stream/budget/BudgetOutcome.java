package dev.tokenmin.stream.budget;

import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.ThrottleDecision;

/**
 * What the budget enforcer emits for a scope: an alert (to the alerts topic), or the scope's decision (to the
 * throttle topic; null decision = no restriction, a tombstone).
 */
public record BudgetOutcome(Alert alert, ThrottleDecision decision) {

    public static BudgetOutcome of(Alert alert) {
        return new BudgetOutcome(alert, null);
    }

    public static BudgetOutcome of(ThrottleDecision decision) {
        return new BudgetOutcome(null, decision);
    }

    public boolean isAlert() {
        return alert != null;
    }
}
