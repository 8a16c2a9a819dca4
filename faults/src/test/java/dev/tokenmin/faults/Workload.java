package dev.tokenmin.faults;

import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.schemas.scope.ScopeKey;
import dev.tokenmin.stream.budget.BudgetDocuments;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.pricing.Pricer;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * A fault scenario's traffic, decided before it is sent: distinct usage events (seeded), what every scope must total,
 * and month budgets on four customers whose limits put each customer's final spend at a known rung of the ladder
 * (50%: no decision; 85%: DOWNGRADE; 95%: LIMIT_CONTEXT; 150%: BLOCK).
 * <p>
 * Expected costs come from the app's {@link Pricer} over the bundled catalog: this suite checks that nothing is lost
 * or counted twice whatever fails, not how an event is priced ({@code PricerTest} and {@code MeteringIT} check that
 * against hand-written prices).
 */
final class Workload {

    private static final String[] MODELS = {"openai/gpt-4.1", "openai/gpt-4.1-mini", "anthropic/claude-haiku-4-5"};
    private static final int CUSTOMERS = 6;
    /** Share of each budgeted customer's final spend that its limit is set at: 2 = 50%, 1.18 = 85%, ... */
    private static final Map<Integer, Double> SPENT_SHARE = Map.of(0, 0.50, 1, 0.85, 2, 0.95, 3, 1.50);
    private static final Map<Integer, ThrottleAction> FINAL_ACTION = Map.of(1, ThrottleAction.DOWNGRADE,
            2, ThrottleAction.LIMIT_CONTEXT, 3, ThrottleAction.BLOCK);

    /** Totals of one scope (for a month, or a session's life). */
    static final class Totals {
        long requests;
        long costNanos;

        void add(long cost) {
            requests++;
            costNanos += cost;
        }

        @Override
        public String toString() {
            return requests + " requests, " + costNanos + " nano-USD";
        }
    }

    /** Where a scope's total is read from the app's API: its scope and window, and an instant inside it. */
    record SpendKey(String scope, String window, Instant at) {
    }

    final List<UsageEvent> events;
    final Map<SpendKey, Totals> expected;
    final long totalCostNanos;
    final Map<String, Long> costByCustomer;
    final List<Budget> budgets;
    /** Budgeted scope → the decision it must end with (absent: none at all). */
    final Map<String, ThrottleAction> finalActions;

    private Workload(List<UsageEvent> events, Map<SpendKey, Totals> expected, Map<String, Long> costByCustomer,
                     List<Budget> budgets, Map<String, ThrottleAction> finalActions) {
        this.events = events;
        this.expected = expected;
        this.costByCustomer = costByCustomer;
        this.totalCostNanos = costByCustomer.values().stream().mapToLong(Long::longValue).sum();
        this.budgets = budgets;
        this.finalActions = finalActions;
    }

    /** {@code count} distinct events over the 40 s before {@code now}, from {@code seed}. */
    static Workload generate(long seed, int count, Instant now) {
        Pricer pricer = new Pricer(Workload::inForce);
        Random random = new Random(seed);
        List<UsageEvent> events = new ArrayList<>(count);
        Map<SpendKey, Totals> expected = new LinkedHashMap<>();
        Map<String, Long> byCustomer = new HashMap<>();
        for (int i = 0; i < count; i++) {
            int c = random.nextInt(CUSTOMERS);
            String[] model = MODELS[random.nextInt(MODELS.length)].split("/");
            long output = random.nextInt(2_000);
            UsageEvent e = UsageEvent.newBuilder().setEventId(new UUID(seed, i))
                    .setOccurredAt(now.minusMillis(random.nextInt(40_000)))
                    .setSource("gw-" + random.nextInt(2)).setCustomerId("c" + c).setUserId("u" + random.nextInt(30))
                    .setFeature("f" + random.nextInt(4)).setTeam("t" + random.nextInt(3))
                    .setSessionId("s-" + c + "-" + random.nextInt(10))
                    .setProvider(model[0]).setModel(model[1])
                    .setInputTokens(random.nextInt(20_000)).setCachedInputTokens(random.nextInt(5_000))
                    .setCacheWriteTokens(random.nextInt(1_000)).setOutputTokens(output)
                    .setReasoningTokens(output / 4).build();
            long cost = pricer.price(e, now).getCost().getTotalNanos();
            events.add(e);
            byCustomer.merge(e.getCustomerId(), cost, Long::sum);
            Instant monthStart = YearMonth.from(e.getOccurredAt().atZone(ZoneOffset.UTC)).atDay(1)
                    .atStartOfDay(ZoneOffset.UTC).toInstant();
            for (ScopeKey scope : ScopeKey.ofRequest(e.getCustomerId(), e.getUserId(), e.getFeature(), e.getTeam(),
                    e.getSessionId())) {
                SpendKey key = scope.kind() == ScopeKey.Kind.SESSION
                        ? new SpendKey(scope.toString(), "session", now)
                        : new SpendKey(scope.toString(), "month", monthStart);
                expected.computeIfAbsent(key, k -> new Totals()).add(cost);
            }
        }
        if (!YearMonth.from(now.atZone(ZoneOffset.UTC)).equals(
                YearMonth.from(now.minusSeconds(40).atZone(ZoneOffset.UTC)))) {
            throw new IllegalStateException("the workload would straddle a month boundary; run again in a minute");
        }
        List<Budget> budgets = new ArrayList<>();
        Map<String, ThrottleAction> finalActions = new HashMap<>();
        for (Map.Entry<Integer, Double> b : SPENT_SHARE.entrySet()) {
            String customer = "c" + b.getKey();
            long spent = byCustomer.getOrDefault(customer, 0L);
            long limitNanos = Math.round(spent / b.getValue());
            String json = """
                    {"budget_id": "faults-%s", "scope": "customer:%s", "period": "month", "time_zone": "UTC",
                     "limit_usd": "%d.%09d", "hard": true, "ladder": [
                       {"threshold_percent": 80, "action": "downgrade", "max_model_tier": "small"},
                       {"threshold_percent": 90, "action": "limit_context", "max_model_tier": "small",
                        "max_input_tokens": 8000},
                       {"threshold_percent": 100, "action": "block"}]}""".formatted(customer, customer,
                    limitNanos / 1_000_000_000L, limitNanos % 1_000_000_000L);
            budgets.addAll(BudgetDocuments.parseFile(json, now));
            ThrottleAction action = FINAL_ACTION.get(b.getKey());
            if (action != null) {
                finalActions.put("customer:" + customer, action);
            }
        }
        return new Workload(List.copyOf(events), expected, byCustomer, List.copyOf(budgets), finalActions);
    }

    /** The requests of the global scope: every distinct event. */
    long distinct() {
        return events.size();
    }

    private static final List<PriceEntry> CATALOG = PriceCatalog.bundled().entries();

    private static PriceEntry inForce(String provider, String model, Instant at) {
        return CATALOG.stream().filter(p -> p.getProvider().equals(provider) && p.getModel().equals(model)
                        && !p.getEffectiveFrom().isAfter(at))
                .max(Comparator.comparing(PriceEntry::getEffectiveFrom)).orElse(null);
    }
}
