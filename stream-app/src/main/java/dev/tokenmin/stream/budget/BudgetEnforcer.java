package dev.tokenmin.stream.budget;

import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.BudgetPeriod;
import dev.tokenmin.avro.LadderStep;
import dev.tokenmin.avro.LimitUnit;
import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.avro.WindowKind;
import dev.tokenmin.stream.alerts.Alerts;
import dev.tokenmin.stream.spend.LatestWindows;
import dev.tokenmin.stream.spend.SpendDelta;
import dev.tokenmin.stream.topology.MeteringCounters;
import dev.tokenmin.stream.topology.ScopeInput;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Enforces the budgets of the scopes in its partitions. It sees, in one order per scope, each priced event counted
 * in the scope and each change to the scope's budgets ({@link ScopeInput}), and keeps per budget where it stands
 * in its period ({@link BudgetState}).
 * <ul>
 *   <li>An event adds its cost (or tokens) to each of the scope's budgets for the period its {@code occurred_at}
 *   falls in; an event of a period already over counts in the spend aggregates but no longer for the budget.</li>
 *   <li>Reaching a ladder step raises one alert (for the highest step reached, when one event passes several) and,
 *   for a hard budget, re-decides the scope: the strictest step over its hard budgets goes to the throttle topic,
 *   a tombstone when nothing restricts it any more. A decision is published when it changes, not per event.</li>
 *   <li>A budget created, changed or removed is evaluated at once. A new budget starts from the scope's spend so
 *   far in the current period, read from the hourly spend windows (a day or month in a time zone whose offset is
 *   not a whole hour starts mid-hour; the hour it starts in is then left out) or the session's total.</li>
 *   <li>A wall-clock punctuation lifts decisions whose period has ended, with no event needed.</li>
 * </ul>
 */
public final class BudgetEnforcer implements Processor<String, ScopeInput, String, BudgetOutcome> {

    private static final Logger LOG = LoggerFactory.getLogger(BudgetEnforcer.class);

    /** The state stores it uses, by name. */
    public record Stores(String budgets, String states, String decisions, String latestSpend, String hourlySpend,
                         String sessionSpend) {
    }

    private final Stores names;
    private final Duration liftCheck;
    private ProcessorContext<String, BudgetOutcome> context;
    private KeyValueStore<String, Budget> budgets;
    private KeyValueStore<String, BudgetState> states;
    private KeyValueStore<String, ThrottleDecision> decisions;
    private KeyValueStore<String, LatestWindows> latest;
    private WindowStore<String, ValueAndTimestamp<SpendAggregate>> hourly;
    private KeyValueStore<String, ValueAndTimestamp<SpendAggregate>> sessions;
    /** The budgets store, by scope and id, in memory: every event asks for its scope's budgets. */
    private final Map<String, Map<String, Budget>> byScope = new HashMap<>();

    /** @param liftCheck how often to look for decisions whose period has ended (wall clock) */
    public BudgetEnforcer(Stores names, Duration liftCheck) {
        this.names = names;
        this.liftCheck = liftCheck;
    }

    @Override
    public void init(ProcessorContext<String, BudgetOutcome> context) {
        this.context = context;
        budgets = context.getStateStore(names.budgets());
        states = context.getStateStore(names.states());
        decisions = context.getStateStore(names.decisions());
        latest = context.getStateStore(names.latestSpend());
        hourly = context.getStateStore(names.hourlySpend());
        sessions = context.getStateStore(names.sessionSpend());
        try (KeyValueIterator<String, Budget> all = budgets.all()) {
            all.forEachRemaining(kv -> remember(kv.value));
        }
        context.schedule(liftCheck, PunctuationType.WALL_CLOCK_TIME, this::liftEnded);
    }

    private static String key(String scope, String budgetId) {
        return scope + "|" + budgetId;
    }

    private void remember(Budget b) {
        byScope.computeIfAbsent(b.getScope(), s -> new HashMap<>()).put(b.getBudgetId(), b);
    }

    @Override
    public void process(Record<String, ScopeInput> record) {
        String scope = record.key();
        ScopeInput in = record.value();
        long now = context.currentSystemTimeMs();
        if (in.isUsage()) {
            onUsage(scope, in.usage(), now, record.timestamp());
        } else if (in.budget() != null) {
            onBudgetSet(scope, in.budget(), now);
        } else {
            onBudgetRemoved(scope, in.budgetId(), now);
        }
    }

    private void onUsage(String scope, SpendDelta usage, long now, long timestamp) {
        Map<String, Budget> ofScope = byScope.get(scope);
        if (ofScope == null) {
            return;
        }
        Instant at = Instant.ofEpochMilli(usage.firstAt()); // all of it is of one minute, hence one period
        boolean redecide = false;
        for (Budget b : ofScope.values()) {
            String key = key(scope, b.getBudgetId());
            BudgetPeriods.Period period = BudgetPeriods.of(b, at);
            long start = period.start().toEpochMilli();
            BudgetState state = states.get(key);
            if (state == null || start > state.periodStart()) {
                state = BudgetState.fresh(period, 0);
            } else if (start < state.periodStart()) {
                continue; // an event of a period already over: in the spend aggregates, no longer for this budget
            }
            state = state.plus(Ladders.amount(b, usage));
            int step = Ladders.stepReached(b, state.spent());
            if (step > state.step()) {
                state = state.atStep(step);
                alert(scope, b, state, now, timestamp);
                redecide |= b.getHard();
            }
            states.put(key, state);
        }
        if (redecide) {
            decide(scope, now, timestamp);
        }
    }

    private void onBudgetSet(String scope, Budget b, long now) {
        String key = key(scope, b.getBudgetId());
        Budget old = budgets.get(key);
        BudgetState state = states.get(key);
        BudgetPeriods.Period period = BudgetPeriods.of(b, Instant.ofEpochMilli(now));
        boolean samePeriodAndUnit = old != null && state != null && old.getLimitUnit() == b.getLimitUnit()
                && old.getPeriod() == b.getPeriod() && old.getTimeZone().equals(b.getTimeZone())
                && state.periodStart() == period.start().toEpochMilli();
        long spent = samePeriodAndUnit ? state.spent() : spentSoFar(scope, b, period, now);
        int before = samePeriodAndUnit ? state.step() : BudgetState.NO_STEP;
        BudgetState next = BudgetState.fresh(period, spent);
        next = next.atStep(Ladders.stepReached(b, spent));
        budgets.put(key, b);
        states.put(key, next);
        remember(b);
        if (next.step() > before) {
            alert(scope, b, next, now, now);
        }
        decide(scope, now, now);
    }

    private void onBudgetRemoved(String scope, String budgetId, long now) {
        String key = key(scope, budgetId);
        budgets.delete(key);
        states.delete(key);
        Map<String, Budget> ofScope = byScope.get(scope);
        if (ofScope != null) {
            ofScope.remove(budgetId);
            if (ofScope.isEmpty()) {
                byScope.remove(scope);
            }
        }
        decide(scope, now, now);
    }

    /** The scope's spend in {@code period} up to now, before the budget existed, in the budget's unit. */
    private long spentSoFar(String scope, Budget b, BudgetPeriods.Period period, long now) {
        if (b.getPeriod() == BudgetPeriod.SESSION) {
            ValueAndTimestamp<SpendAggregate> total = sessions.get(scope);
            return total == null ? 0 : amount(b.getLimitUnit(), total.value());
        }
        // The scope's latest hour is in its latest windows; the hours before it in the hourly store.
        long from = period.start().toEpochMilli();
        long sum = 0;
        LatestWindows windows = latest.get(scope);
        SpendAggregate latestHour = windows == null ? null : windows.get(WindowKind.HOUR);
        if (latestHour != null && latestHour.getWindowStart().toEpochMilli() >= from
                && latestHour.getWindowStart().toEpochMilli() <= now) {
            sum = amount(b.getLimitUnit(), latestHour);
        }
        try (WindowStoreIterator<ValueAndTimestamp<SpendAggregate>> hours = hourly.fetch(scope, from, now)) {
            while (hours.hasNext()) {
                sum = Math.addExact(sum, amount(b.getLimitUnit(), hours.next().value.value()));
            }
        }
        return sum;
    }

    private static long amount(LimitUnit unit, SpendAggregate agg) {
        return unit == LimitUnit.NANO_USD ? agg.getCostNanos()
                : agg.getInputTokens() + agg.getCachedInputTokens() + agg.getCacheWriteTokens() + agg.getOutputTokens();
    }

    private void alert(String scope, Budget b, BudgetState state, long now, long timestamp) {
        LadderStep step = Ladders.steps(b).get(state.step());
        Alert alert = Alerts.budgetThreshold(b, step, state.spent(), state.periodStart(), periodEnd(state),
                Instant.ofEpochMilli(now));
        MeteringCounters.ALERTS.incrementAndGet();
        LOG.info("alert {}: {}", alert.getAlertId(), alert.getSummary());
        context.forward(new Record<>(scope, BudgetOutcome.of(alert), timestamp));
    }

    private static Instant periodEnd(BudgetState state) {
        return state.periodEnd() == Long.MAX_VALUE ? null : Instant.ofEpochMilli(state.periodEnd());
    }

    /** Publishes the scope's decision if it changed: the strictest reached step over its current hard budgets. */
    private void decide(String scope, long now, long timestamp) {
        Budget cause = null;
        BudgetState causeState = null;
        LadderStep strictest = null;
        for (Budget b : byScope.getOrDefault(scope, Map.of()).values()) {
            BudgetState state = b.getHard() ? states.get(key(scope, b.getBudgetId())) : null;
            if (state == null || state.step() < 0 || !state.isCurrent(now)) {
                continue;
            }
            LadderStep step = Ladders.steps(b).get(state.step());
            int c = strictest == null ? 1 : Ladders.compareStrictness(step, strictest);
            if (c > 0 || c == 0 && Ladders.percent(state.spent(), b.getLimit())
                    > Ladders.percent(causeState.spent(), cause.getLimit())) {
                strictest = step;
                cause = b;
                causeState = state;
            }
        }
        ThrottleDecision current = decisions.get(scope);
        if (strictest == null) {
            if (current != null) {
                decisions.delete(scope);
                MeteringCounters.DECISIONS.incrementAndGet();
                LOG.info("decision for {} lifted (was {} from budget {})", scope, current.getAction(),
                        current.getBudgetId());
                context.forward(new Record<>(scope, BudgetOutcome.of((ThrottleDecision) null), timestamp));
            }
            return;
        }
        ThrottleDecision next = ThrottleDecision.newBuilder().setScope(scope).setAction(strictest.getAction())
                .setMaxModelTier(strictest.getMaxModelTier()).setMaxInputTokens(strictest.getMaxInputTokens())
                .setReason("budget " + cause.getBudgetId() + ": " + Alerts.spentOf(cause, causeState.spent()))
                .setBudgetId(cause.getBudgetId()).setSpent(causeState.spent()).setLimit(cause.getLimit())
                .setLimitUnit(cause.getLimitUnit()).setPeriodEnd(periodEnd(causeState))
                .setDecidedAt(Instant.ofEpochMilli(now)).build();
        if (current != null && sameRestriction(current, next)) {
            return;
        }
        decisions.put(scope, next);
        MeteringCounters.DECISIONS.incrementAndGet();
        LOG.info("decision for {}: {} ({})", scope, Alerts.describe(strictest), next.getReason());
        context.forward(new Record<>(scope, BudgetOutcome.of(next), timestamp));
    }

    private static boolean sameRestriction(ThrottleDecision a, ThrottleDecision b) {
        return a.getAction() == b.getAction() && Objects.equals(a.getMaxModelTier(), b.getMaxModelTier())
                && Objects.equals(a.getMaxInputTokens(), b.getMaxInputTokens())
                && Objects.equals(a.getBudgetId(), b.getBudgetId()) && a.getLimit() == b.getLimit()
                && Objects.equals(a.getPeriodEnd(), b.getPeriodEnd());
    }

    /** Re-decides every scope whose decision's period has ended by the wall clock. */
    private void liftEnded(long now) {
        List<String> ended = new ArrayList<>();
        try (KeyValueIterator<String, ThrottleDecision> all = decisions.all()) {
            while (all.hasNext()) {
                KeyValue<String, ThrottleDecision> kv = all.next();
                Instant end = kv.value.getPeriodEnd();
                if (end != null && end.toEpochMilli() <= now) {
                    ended.add(kv.key);
                }
            }
        }
        ended.forEach(scope -> decide(scope, now, now));
    }
}
