package dev.tokenmin.stream.alerts;

import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.AlertKind;
import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.BudgetPeriod;
import dev.tokenmin.avro.BudgetThresholdDetail;
import dev.tokenmin.avro.LadderStep;
import dev.tokenmin.avro.LimitUnit;
import dev.tokenmin.avro.Severity;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.UnpricedModelDetail;
import dev.tokenmin.schemas.NanoUsd;
import dev.tokenmin.schemas.scope.ScopeKey;
import dev.tokenmin.stream.budget.Ladders;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.UUID;

/**
 * Builds the alerts the stream app raises. Alert ids are name-based UUIDs of what the alert is about (a budget's
 * threshold in one period; a model without a price), so an alert raised again after a crash or by a second
 * instance has the same id, and subscribers that keep ids see it once.
 */
public final class Alerts {

    private Alerts() {
    }

    /** A budget reached {@code step} of its ladder in the period starting at {@code periodStartMs}. */
    public static Alert budgetThreshold(Budget budget, LadderStep step, long spent, long periodStartMs,
                                        Instant periodEnd, Instant raisedAt) {
        ThrottleAction action = budget.getHard() ? step.getAction() : ThrottleAction.NONE;
        String what = budget.getHard() ? describe(step) : "alert only (soft budget)";
        String summary = "budget " + budget.getBudgetId() + " on " + budget.getScope() + ": "
                + spentOf(budget, spent) + ", " + step.getThresholdPercent() + "% threshold reached; " + what;
        return Alert.newBuilder()
                .setAlertId(id("budget|" + budget.getBudgetId() + "|" + periodStartMs + "|"
                        + step.getThresholdPercent()))
                .setKind(AlertKind.BUDGET_THRESHOLD)
                .setSeverity(action == ThrottleAction.BLOCK || step.getThresholdPercent() >= 100 ? Severity.CRITICAL
                        : Severity.WARNING)
                .setScope(budget.getScope()).setRaisedAt(raisedAt).setSummary(summary)
                .setDetail(BudgetThresholdDetail.newBuilder().setBudgetId(budget.getBudgetId())
                        .setThresholdPercent(step.getThresholdPercent()).setSpent(spent).setLimit(budget.getLimit())
                        .setLimitUnit(budget.getLimitUnit()).setHard(budget.getHard()).setAction(action)
                        .setPeriodEnd(periodEnd).build())
                .build();
    }

    /** Calls to {@code provider/model} were counted at cost 0: there is no price for it. */
    public static Alert unpricedModel(String provider, String model, Instant firstSeenAt, Instant raisedAt) {
        return Alert.newBuilder().setAlertId(id("unpriced|" + provider + "/" + model))
                .setKind(AlertKind.UNPRICED_MODEL).setSeverity(Severity.WARNING)
                .setScope(ScopeKey.GLOBAL.toString()).setRaisedAt(raisedAt)
                .setSummary("no price for " + provider + "/" + model + ": its calls are counted at cost 0 until a "
                        + "price is published")
                .setDetail(UnpricedModelDetail.newBuilder().setProvider(provider).setModel(model)
                        .setFirstSeenAt(firstSeenAt).build())
                .build();
    }

    /** For people: "92% of 100 USD per month (92.1 USD)". */
    public static String spentOf(Budget budget, long spent) {
        return Ladders.percent(spent, budget.getLimit()) + "% of " + amount(budget.getLimitUnit(), budget.getLimit()) + " per "
                + period(budget.getPeriod()) + " (" + amount(budget.getLimitUnit(), spent) + ")";
    }

    private static String amount(LimitUnit unit, long value) {
        return unit == LimitUnit.NANO_USD ? NanoUsd.format(value) + " USD" : value + " tokens";
    }

    private static String period(BudgetPeriod period) {
        return period.name().toLowerCase(Locale.ROOT);
    }

    /** What a ladder step tells the router, e.g. "LIMIT_CONTEXT: tier small, at most 8000 input tokens". */
    public static String describe(LadderStep step) {
        StringBuilder s = new StringBuilder(step.getAction().name());
        if (step.getAction() == ThrottleAction.BLOCK) {
            return s.append(": budget exhausted").toString();
        }
        if (step.getMaxModelTier() != null) {
            s.append(": tier ").append(step.getMaxModelTier());
        }
        if (step.getMaxInputTokens() != null) {
            s.append(", at most ").append(step.getMaxInputTokens()).append(" input tokens");
        }
        return s.toString();
    }

    private static UUID id(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
    }
}
