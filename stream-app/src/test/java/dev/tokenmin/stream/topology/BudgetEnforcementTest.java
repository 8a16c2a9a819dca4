package dev.tokenmin.stream.topology;

import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.AlertKind;
import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.BudgetPeriod;
import dev.tokenmin.avro.BudgetThresholdDetail;
import dev.tokenmin.avro.LadderStep;
import dev.tokenmin.avro.LimitUnit;
import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.avro.UnpricedModelDetail;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.schemas.pricing.PriceKeys;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.errors.DeadLetterHandlers;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.serde.StreamSerdes;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Budgets on the production topology, driven by TopologyTestDriver with a wall clock of its own: the ladder,
 * soft versus hard, session caps, changes mid-period, and lifting at a period's end in the budget's time zone.
 * Prices used: gpt-4.1 costs 2 USD per million input tokens, so 500,000 input tokens cost exactly 1 USD.
 */
class BudgetEnforcementTest {

    private static final StreamSerdes SERDES = TestSerdes.registryFree();
    private static final long USD = 1_000_000_000L;

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, UsageEvent> usage;
    private TestInputTopic<String, Budget> budgets;
    private TestOutputTopic<String, ThrottleDecision> throttle;
    private TestOutputTopic<String, Alert> alerts;
    private TestOutputTopic<byte[], byte[]> deadLetters;

    /** Starts the topology with its wall clock at {@code now}. */
    private void startAt(String now) {
        StreamAppConfig config = StreamAppConfig.fromProperties(Map.of("bootstrap.servers", "unused:9092",
                "schema.registry.url", "http://unused", "state.dir", stateDir.toString()));
        TopicNames topics = config.topics();
        driver = new TopologyTestDriver(MeteringTopology.build(config, SERDES), config.streamsProperties(),
                Instant.parse(now));
        TestInputTopic<String, PriceEntry> prices = driver.createInputTopic(topics.prices(), new StringSerializer(),
                SERDES.price().serializer());
        PriceCatalog.bundled().entries().forEach(e -> prices.pipeInput(PriceKeys.key(e), e));
        usage = driver.createInputTopic(topics.usage(), new StringSerializer(), SERDES.usage().serializer());
        budgets = driver.createInputTopic(topics.budgets(), new StringSerializer(), SERDES.budget().serializer());
        throttle = driver.createOutputTopic(topics.throttle(), new StringDeserializer(),
                SERDES.decision().deserializer());
        alerts = driver.createOutputTopic(topics.alerts(), new StringDeserializer(), SERDES.alert().deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetters(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
    }

    private static LadderStep step(int percent, ThrottleAction action, String tier, Long maxInput) {
        return LadderStep.newBuilder().setThresholdPercent(percent).setAction(action).setMaxModelTier(tier)
                .setMaxInputTokens(maxInput).build();
    }

    private static final List<LadderStep> LADDER = List.of(step(80, ThrottleAction.DOWNGRADE, "small", null),
            step(90, ThrottleAction.LIMIT_CONTEXT, "small", 8_000L), step(100, ThrottleAction.BLOCK, null, null));

    private static Budget budget(String id, String scope, BudgetPeriod period, String zone, LimitUnit unit,
                                 long limit, boolean hard, List<LadderStep> ladder) {
        return Budget.newBuilder().setBudgetId(id).setScope(scope).setPeriod(period).setTimeZone(zone)
                .setLimitUnit(unit).setLimit(limit).setHard(hard).setLadder(ladder)
                .setUpdatedAt(Instant.parse("2026-11-01T00:00:00Z")).build();
    }

    private static Budget monthlyUsd(String id, String scope, long usd, boolean hard) {
        return budget(id, scope, BudgetPeriod.MONTH, "UTC", LimitUnit.NANO_USD, usd * USD, hard,
                hard ? LADDER : List.of());
    }

    /**
     * Writes a budget with an old timestamp: TopologyTestDriver runs every sub-topology as one task with one stream
     * time, so a budget stamped with the wall clock would close the windows of the events these tests send.
     */
    private void set(Budget b) {
        budgets.pipeInput(b.getBudgetId(), b, Instant.EPOCH);
    }

    /** Spends {@code dollars} USD as one call per dollar by customer acme's user u1 in session s-1. */
    private void spend(int dollars, String at) {
        for (int i = 0; i < dollars; i++) {
            send(MeteringTopologyTest.event("gpt-4.1", at, 500_000, 0));
        }
    }

    /** Sends one event and lets the pricing side flush its sums: each event counted on its own, in order. */
    private void send(UsageEvent e) {
        usage.pipeInput(e.getEventId().toString(), e, e.getOccurredAt());
        driver.advanceWallClockTime(MeteringTopologyTest.FLUSH);
    }

    private List<String> actions() {
        return throttle.readKeyValuesToList().stream()
                .map(kv -> kv.key + "=" + (kv.value == null ? "lifted" : kv.value.getAction())).toList();
    }

    @Test
    void shouldWalkAHardBudgetsLadderOneDecisionAndOneAlertPerStep() {
        startAt("2026-11-22T12:00:00Z");
        set(monthlyUsd("b-user", "customer:acme/user:u1", 10, true));

        spend(7, "2026-11-22T10:00:00Z");
        assertThat(throttle.isEmpty()).as("70%: below the first step").isTrue();
        spend(1, "2026-11-22T10:01:00Z");
        spend(1, "2026-11-22T10:02:00Z");
        spend(1, "2026-11-22T10:03:00Z");
        spend(2, "2026-11-22T10:04:00Z"); // past the limit: blocked already, nothing new

        List<KeyValue<String, ThrottleDecision>> decisions = throttle.readKeyValuesToList();
        assertThat(decisions).extracting(kv -> kv.key).containsOnly("customer:acme/user:u1");
        assertThat(decisions).extracting(kv -> kv.value.getAction()).containsExactly(ThrottleAction.DOWNGRADE,
                ThrottleAction.LIMIT_CONTEXT, ThrottleAction.BLOCK);
        assertThat(decisions).extracting(kv -> kv.value.getSpent()).containsExactly(8 * USD, 9 * USD, 10 * USD);
        ThrottleDecision limitContext = decisions.get(1).value;
        assertThat(limitContext.getMaxModelTier()).isEqualTo("small");
        assertThat(limitContext.getMaxInputTokens()).isEqualTo(8_000L);
        assertThat(limitContext.getReason()).isEqualTo("budget b-user: 90% of 10 USD per month (9 USD)");
        assertThat(limitContext.getPeriodEnd()).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
        assertThat(limitContext.getLimit()).isEqualTo(10 * USD);

        List<Alert> raised = alerts.readValuesToList();
        assertThat(raised).extracting(a -> ((BudgetThresholdDetail) a.getDetail()).getThresholdPercent())
                .containsExactly(80, 90, 100);
        assertThat(raised).extracting(Alert::getKind).containsOnly(AlertKind.BUDGET_THRESHOLD);
        assertThat(raised).extracting(Alert::getAlertId).doesNotHaveDuplicates();
    }

    @Test
    void shouldOnlyAlertOnASoftBudget() {
        startAt("2026-11-22T12:00:00Z");
        set(monthlyUsd("b-soft", "customer:acme/feature:summarize", 3, false));

        spend(5, "2026-11-22T10:00:00Z");

        assertThat(throttle.isEmpty()).as("soft budgets never throttle").isTrue();
        List<Alert> raised = alerts.readValuesToList();
        assertThat(raised).hasSize(1);
        BudgetThresholdDetail detail = (BudgetThresholdDetail) raised.get(0).getDetail();
        assertThat(detail.getThresholdPercent()).isEqualTo(100);
        assertThat(detail.getHard()).isFalse();
        assertThat(detail.getAction()).isEqualTo(ThrottleAction.NONE);
        assertThat(detail.getSpent()).isEqualTo(3 * USD);
    }

    @Test
    void shouldLiftAtTheEndOfAMonthInTheBudgetsTimeZoneWithoutAnyEvent() {
        startAt("2026-11-30T22:00:00Z"); // 23:00 on 30 November in Berlin; December starts there at 23:00 UTC
        set(budget("b-berlin", "customer:acme", BudgetPeriod.MONTH, "Europe/Berlin", LimitUnit.NANO_USD, 2 * USD,
                true, List.of(step(100, ThrottleAction.BLOCK, null, null))));

        spend(2, "2026-11-30T21:30:00Z");
        ThrottleDecision block = throttle.readValue();
        assertThat(block.getAction()).isEqualTo(ThrottleAction.BLOCK);
        assertThat(block.getPeriodEnd()).isEqualTo(Instant.parse("2026-11-30T23:00:00Z"));

        driver.advanceWallClockTime(Duration.ofMinutes(59));
        assertThat(throttle.isEmpty()).as("22:59 UTC: still November in Berlin").isTrue();
        driver.advanceWallClockTime(Duration.ofMinutes(1));
        List<KeyValue<String, ThrottleDecision>> lifted = throttle.readKeyValuesToList();
        assertThat(lifted).hasSize(1);
        assertThat(lifted.get(0).key).isEqualTo("customer:acme");
        assertThat(lifted.get(0).value).as("a tombstone: no restriction").isNull();

        driver.advanceWallClockTime(Duration.ofMinutes(10));
        spend(1, "2026-11-30T23:05:00Z"); // December in Berlin: a new period, 50%
        spend(1, "2026-11-30T22:59:00Z"); // a late November call: counted in spend, no longer for the budget
        assertThat(throttle.isEmpty()).isTrue();
        spend(1, "2026-11-30T23:06:00Z");
        assertThat(actions()).containsExactly("customer:acme=BLOCK");
    }

    @Test
    void shouldStopARunawayAgentLoopAtItsSessionCap() {
        startAt("2026-11-22T12:00:00Z");
        set(budget("b-loop", "session:s-loop", BudgetPeriod.SESSION, "UTC", LimitUnit.TOKENS, 100_000, true,
                List.of(step(50, ThrottleAction.LIMIT_CONTEXT, "small", 2_000L),
                        step(100, ThrottleAction.BLOCK, null, null))));

        int calls = 0;
        while (throttle.isEmpty() || calls < 30) {
            // An agent loop: each turn sends the growing context again.
            send(MeteringTopologyTest.event("gpt-4.1", "2026-11-22T10:00:00Z", 9_000, 1_000, "u1", "s-loop"));
            send(MeteringTopologyTest.event("gpt-4.1", "2026-11-22T10:00:00Z", 9_000, 1_000, "u2", "s-other"));
            calls++;
            if (calls == 30) {
                break;
            }
        }

        List<KeyValue<String, ThrottleDecision>> decisions = throttle.readKeyValuesToList();
        assertThat(decisions).extracting(kv -> kv.key).containsOnly("session:s-loop");
        assertThat(decisions).extracting(kv -> kv.value.getAction()).containsExactly(ThrottleAction.LIMIT_CONTEXT,
                ThrottleAction.BLOCK);
        assertThat(decisions).extracting(kv -> kv.value.getSpent()).containsExactly(50_000L, 100_000L);
        assertThat(decisions.get(1).value.getPeriodEnd()).as("a session's budget lasts the session").isNull();
        assertThat(decisions.get(1).value.getLimitUnit()).isEqualTo(LimitUnit.TOKENS);
    }

    @Test
    void shouldReEvaluateABudgetCreatedRaisedLoweredOrRemovedMidPeriodAtOnce() {
        startAt("2026-11-22T12:00:00Z");
        spend(4, "2026-11-03T10:00:00Z"); // a closed hour (in the hourly store) ...
        spend(5, "2026-11-05T10:00:00Z"); // ... and the scope's latest hour (in its latest windows)
        spend(1, "2026-10-31T23:00:00Z"); // October: not this month's

        set(monthlyUsd("b-1", "customer:acme/user:u1", 10, true));
        assertThat(actions()).as("created at 90% of its limit").containsExactly("customer:acme/user:u1=LIMIT_CONTEXT");
        assertThat(alerts.readValuesToList()).extracting(a -> ((BudgetThresholdDetail) a.getDetail())
                .getThresholdPercent()).as("one alert for the step reached").containsExactly(90);

        set(monthlyUsd("b-1", "customer:acme/user:u1", 100, true));
        assertThat(actions()).as("raised to 100 USD").containsExactly("customer:acme/user:u1=lifted");

        set(monthlyUsd("b-1", "customer:acme/user:u1", 5, true));
        assertThat(actions()).as("lowered to 5 USD").containsExactly("customer:acme/user:u1=BLOCK");

        budgets.pipeInput("b-1", null, Instant.EPOCH);
        assertThat(actions()).as("removed").containsExactly("customer:acme/user:u1=lifted");

        spend(20, "2026-11-22T11:00:00Z");
        assertThat(throttle.isEmpty()).as("no budget, no decision").isTrue();
    }

    @Test
    void shouldApplyTheStrictestOfAScopesHardBudgets() {
        startAt("2026-11-22T12:00:00Z");
        set(monthlyUsd("b-month", "customer:acme", 100, true));
        set(budget("b-day", "customer:acme", BudgetPeriod.DAY, "America/New_York", LimitUnit.NANO_USD, 4 * USD,
                true, List.of(step(50, ThrottleAction.DOWNGRADE, "medium", null),
                        step(100, ThrottleAction.BLOCK, null, null))));

        spend(2, "2026-11-22T11:00:00Z");
        spend(2, "2026-11-22T11:30:00Z");

        List<ThrottleDecision> decisions = throttle.readValuesToList();
        assertThat(decisions).extracting(ThrottleDecision::getAction).containsExactly(ThrottleAction.DOWNGRADE,
                ThrottleAction.BLOCK);
        assertThat(decisions).extracting(ThrottleDecision::getBudgetId).containsOnly("b-day");
        assertThat(decisions.get(1).getPeriodEnd()).as("midnight in New York")
                .isEqualTo(Instant.parse("2026-11-23T05:00:00Z"));
    }

    @Test
    void shouldDeadLetterAnInvalidBudgetNamingTheFieldAndKeepTheOldOne() {
        startAt("2026-11-22T12:00:00Z");
        set(monthlyUsd("b-1", "customer:acme", 2, true));
        Budget bad = monthlyUsd("b-1", "customer:acme", 1, true);
        bad.setTimeZone("Mars/Olympus");
        bad.setLadder(Arrays.asList(LADDER.get(1), LADDER.get(0)));
        set(bad);

        List<String> messages = deadLetters.readRecordsToList().stream().map(r -> new String(
                r.headers().lastHeader(DeadLetterHandlers.HEADER_MESSAGE).value(), StandardCharsets.UTF_8)).toList();
        assertThat(messages).hasSize(1);
        assertThat(messages.get(0)).contains("time_zone", "ladder[1].threshold_percent");

        spend(2, "2026-11-22T11:00:00Z");
        assertThat(actions()).as("the 2 USD budget still holds").containsExactly("customer:acme=BLOCK");
    }

    @Test
    void shouldAlertOnceForAModelWithoutAPrice() {
        startAt("2026-11-22T12:00:00Z");
        for (int i = 0; i < 3; i++) {
            send(MeteringTopologyTest.event("gpt-9-turbo", "2026-11-22T10:00:00Z", 100, 10));
        }
        List<KeyValue<String, Alert>> raised = alerts.readKeyValuesToList();
        assertThat(raised).hasSize(1);
        assertThat(raised.get(0).key).isEqualTo("global");
        assertThat(raised.get(0).value.getKind()).isEqualTo(AlertKind.UNPRICED_MODEL);
        assertThat(((UnpricedModelDetail) raised.get(0).value.getDetail()).getModel()).isEqualTo("gpt-9-turbo");
    }
}
