package dev.tokenmin.stream.topology;

import dev.tokenmin.avro.Budget;
import dev.tokenmin.stream.spend.ScopedUsage;

/**
 * One record of the {@code by-scope} repartition topic, keyed by scope: a priced event counted in that scope, a
 * budget of that scope created or changed, or one removed. Events and budget changes share one topic so that a
 * scope's spend and its budgets are in the same partition by construction, whatever the partition counts of the
 * usage and budgets topics, and reach the scope's processor in one order.
 *
 * @param usage    the event as counted in the scope, or null
 * @param budget   the budget as it now is, or null
 * @param budgetId the id of the budget removed, or null
 */
public record ScopeInput(ScopedUsage usage, Budget budget, String budgetId) {

    public ScopeInput {
        int set = (usage != null ? 1 : 0) + (budget != null ? 1 : 0) + (budgetId != null ? 1 : 0);
        if (set != 1) {
            throw new IllegalArgumentException("exactly one of usage, budget and removed budget id, had " + set);
        }
    }

    public static ScopeInput of(ScopedUsage usage) {
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
