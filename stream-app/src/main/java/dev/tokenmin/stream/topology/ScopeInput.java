package dev.tokenmin.stream.topology;

import dev.tokenmin.avro.Budget;
import dev.tokenmin.stream.spend.SpendDelta;

/**
 * One record of the {@code by-scope} repartition topic, keyed by scope: spend counted in that scope (the sum of one or
 * more priced events of one minute), a budget of that scope created or changed, or one removed. Events and budget
 * changes share one topic so that a scope's spend and its budgets are in the same partition by construction, whatever
 * the partition counts of the usage and budgets topics, and reach the scope's processor in one order.
 *
 * @param usage    the spend counted in the scope, or null
 * @param budget   the budget as it now is, or null
 * @param budgetId the id of the budget removed, or null
 */
public record ScopeInput(SpendDelta usage, Budget budget, String budgetId) {

    public ScopeInput {
        int set = (usage != null ? 1 : 0) + (budget != null ? 1 : 0) + (budgetId != null ? 1 : 0);
        if (set != 1) {
            throw new IllegalArgumentException("exactly one of usage, budget and removed budget id, had " + set);
        }
    }

    public static ScopeInput of(SpendDelta usage) {
        return new ScopeInput(usage, null, null);
    }

    public static ScopeInput budgetSet(Budget budget) {
        return new ScopeInput(null, budget, null);
    }

    public static ScopeInput budgetRemoved(String budgetId) {
        return new ScopeInput(null, null, budgetId);
    }

    public boolean isUsage() {
        return usage != null;
    }
}
