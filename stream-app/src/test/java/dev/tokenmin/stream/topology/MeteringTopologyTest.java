package dev.tokenmin.stream.topology;

import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.schemas.pricing.PriceKeys;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.errors.DeadLetterHandlers;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.serde.StreamSerdes;
import dev.tokenmin.stream.usage.UsageSizeLimit;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/** The production metering topology, driven by TopologyTestDriver. */
class MeteringTopologyTest {

    private static final StreamSerdes SERDES = TestSerdes.registryFree();
    /** The default {@code spend.flush.ms} and the test's {@code anomaly.flush.ms}. */
    static final Duration FLUSH = Duration.ofMillis(100);
    /** How often changed spend is published: not the default, so that the tests see the setting honoured. */
    static final Duration PUBLISH = Duration.ofSeconds(5);

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, UsageEvent> usage;
    private TestInputTopic<String, byte[]> rawUsage;
    private TestOutputTopic<String, PricedUsage> priced;
    private TestOutputTopic<byte[], byte[]> deadLetters;
    private TestOutputTopic<String, SpendAggregate> spend;

    @BeforeEach
    void start() {
        StreamAppConfig config = StreamAppConfig.fromProperties(Map.of("bootstrap.servers", "unused:9092",
                "schema.registry.url", "http://unused", "state.dir", stateDir.toString(),
                "anomaly.flush.ms", String.valueOf(FLUSH.toMillis()), "spend.publish.ms",
                String.valueOf(PUBLISH.toMillis())));
        TopicNames topics = config.topics();
        driver = new TopologyTestDriver(MeteringTopology.build(config, SERDES), config.streamsProperties(),
                Instant.parse("2026-12-31T00:00:00Z")); // the wall clock: every test event is in its past
        TestInputTopic<String, PriceEntry> prices = driver.createInputTopic(topics.prices(), new StringSerializer(),
                SERDES.price().serializer());
        PriceCatalog.bundled().entries().forEach(e -> prices.pipeInput(PriceKeys.key(e), e));
        usage = driver.createInputTopic(topics.usage(), new StringSerializer(), SERDES.usage().serializer());
        rawUsage = driver.createInputTopic(topics.usage(), new StringSerializer(), new ByteArraySerializer());
        priced = driver.createOutputTopic(topics.priced(), new StringDeserializer(), SERDES.priced().deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetters(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        spend = driver.createOutputTopic(topics.spend(), new StringDeserializer(), SERDES.spend().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    static UsageEvent event(String model, String occurredAt, long input, long output) {
        return event(model, occurredAt, input, output, "u1", "s-1");
    }

    static UsageEvent event(String model, String occurredAt, long input, long output, String user, String session) {
        return UsageEvent.newBuilder().setEventId(UUID.randomUUID()).setOccurredAt(Instant.parse(occurredAt))
                .setSource("gw").setCustomerId("acme").setUserId(user).setFeature("summarize").setTeam("ml")
                .setSessionId(session)
                .setProvider(model.startsWith("claude") ? "anthropic" : "openai").setModel(model)
                .setInputTokens(input).setOutputTokens(output).build();
    }

    /** Sends one event and lets the pricing side flush its sums, so each event is counted on its own, in order. */
    private void send(UsageEvent e) {
        usage.pipeInput(e.getEventId().toString(), e, e.getOccurredAt());
        driver.advanceWallClockTime(FLUSH);
    }

    @Test
    void shouldPriceEachDistinctEventOnceWithThePriceInForceAtItsTime() {
        long duplicatesBefore = MeteringCounters.DUPLICATES.get();
        UsageEvent beforeCut = event("o3", "2025-06-09T10:00:00Z", 1_000_000, 1_000_000);
        UsageEvent afterCut = event("o3", "2025-06-10T10:00:00Z", 1_000_000, 1_000_000);
        UsageEvent unknown = event("gpt-9-turbo", "2025-06-10T11:00:00Z", 500, 50);

        send(beforeCut);
        send(beforeCut); // a producer retry or a spool replay
        send(afterCut);
        send(unknown);

        List<PricedUsage> out = priced.readValuesToList();
        assertThat(out).extracting(p -> p.getEvent().getEventId()).containsExactly(beforeCut.getEventId(),
                afterCut.getEventId(), unknown.getEventId());
        assertThat(out.get(0).getCost().getTotalNanos()).as("10 + 40 USD before the cut").isEqualTo(50_000_000_000L);
        assertThat(out.get(1).getCost().getTotalNanos()).as("2 + 8 USD after it").isEqualTo(10_000_000_000L);
        assertThat(out.get(2).getUnpriced()).isTrue();
        assertThat(out.get(2).getCost().getTotalNanos()).isZero();
        assertThat(MeteringCounters.DUPLICATES.get() - duplicatesBefore).isEqualTo(1);
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void shouldPriceCacheReadsAndCacheWritesEachAtTheirOwnRate() {
        // claude-haiku-4-5 per million: input 1, cache read 0.10, cache write 1.25, output 5 USD.
        UsageEvent cached = event("claude-haiku-4-5", "2026-11-22T10:00:00Z", 1_000, 200);
        cached.setCachedInputTokens(10_000);
        cached.setCacheWriteTokens(4_000);
        send(cached);

        PricedUsage p = priced.readValue();
        assertThat(p.getCost().getInputNanos()).isEqualTo(1_000_000);
        assertThat(p.getCost().getCachedInputNanos()).as("a cache read at a tenth of input").isEqualTo(1_000_000);
        assertThat(p.getCost().getCacheWriteNanos()).isEqualTo(5_000_000);
        assertThat(p.getCost().getOutputNanos()).isEqualTo(1_000_000);
        assertThat(p.getCost().getTotalNanos()).isEqualTo(8_000_000);
        assertThat(latestSpend().get("customer:acme|HOUR|2026-11-22T10:00:00Z").getCostNanos()).isEqualTo(8_000_000);
    }

    @Test
    void shouldDeadLetterInvalidAndUndecodableRecordsAndKeepGoing() {
        long undecodableBefore = DeadLetterHandlers.counter("undecodable").get();
        long oversizedBefore = DeadLetterHandlers.counter("oversized").get();
        UsageEvent negative = event("gpt-4.1", "2026-11-22T11:00:00Z", -5, 10);
        UsageEvent wrongKey = event("gpt-4.1", "2026-11-22T11:00:01Z", 5, 10);
        UsageEvent fine = event("gpt-4.1", "2026-11-22T11:00:02Z", 1_000, 100);

        send(negative);
        rawUsage.pipeInput("some-key", "poison".getBytes(StandardCharsets.UTF_8));
        rawUsage.pipeInput("big", new byte[UsageSizeLimit.MAX_BYTES + 1]); // never decoded: zeros would be "valid"
        usage.pipeInput("not-the-event-id", wrongKey, wrongKey.getOccurredAt());
        send(fine);

        assertThat(priced.readValuesToList()).extracting(p -> p.getEvent().getEventId())
                .containsExactly(fine.getEventId());
        // TopologyTestDriver does not pass on the dead-letter records of the deserialization handler (the real
        // broker does); here the undecodable record shows as counted, and it stopped nothing.
        assertThat(DeadLetterHandlers.counts().get("undecodable").get() - undecodableBefore).isEqualTo(1);
        assertThat(DeadLetterHandlers.counts().get("oversized").get() - oversizedBefore).isEqualTo(1);
        List<TestRecord<byte[], byte[]>> dead = deadLetters.readRecordsToList();
        assertThat(dead).hasSize(2);
        assertThat(header(dead.get(0), DeadLetterHandlers.HEADER_MESSAGE)).contains("input_tokens: must not be negative");
        assertThat(header(dead.get(0), DeadLetterHandlers.HEADER_TOPIC)).isEqualTo(TopicNames.DEFAULT.usage());
        assertThat(SERDES.usage().deserializer().deserialize("t", dead.get(0).value()).getEventId())
                .as("the raw record as it came").isEqualTo(negative.getEventId());
        assertThat(header(dead.get(1), DeadLetterHandlers.HEADER_MESSAGE)).contains("key: must be the event_id");
    }

    @Test
    void shouldForgetEventIdsOnlyAfterTheHorizon() {
        UsageEvent first = event("gpt-4.1", "2026-11-01T00:00:00Z", 1_000, 100);
        send(first);
        send(event("gpt-4.1", "2026-11-07T23:00:00Z", 1, 1)); // six days later: still within 7 days
        send(first);
        send(event("gpt-4.1", "2026-11-20T00:00:00Z", 1, 1)); // stream time moves 19 days on

        send(first); // a replay from before the horizon is past deduplication, as documented

        assertThat(priced.readValuesToList()).extracting(p -> p.getEvent().getEventId())
                .filteredOn(id -> id.equals(first.getEventId())).hasSize(2);
    }

    /** The latest aggregate per spend key, as a compacted topic would hold them, once the changes are published. */
    private Map<String, SpendAggregate> latestSpend() {
        driver.advanceWallClockTime(FLUSH); // the pricing side's sums first, then the spend side publishes
        driver.advanceWallClockTime(PUBLISH);
        Map<String, SpendAggregate> latest = new HashMap<>();
        spend.readKeyValuesToList().forEach(kv -> latest.put(kv.key, kv.value));
        return latest;
    }

    @Test
    void shouldSumSpendPerScopeForEveryWindowKindAndModel() {
        // gpt-4.1: 2 USD in, 8 USD out per million; claude-haiku-4-5: 1 USD in, 5 USD out.
        send(event("gpt-4.1", "2026-11-22T10:15:00Z", 1_000, 100, "u1", "s-1"));        // 2,000 + 800 = 2,800,000 nanos
        send(event("claude-haiku-4-5", "2026-11-22T10:15:30Z", 2_000, 200, "u1", "s-1")); // 2,000,000 + 1,000,000
        send(event("gpt-4.1", "2026-11-22T10:40:00Z", 500, 0, "u2", "s-2"));             // 1,000,000

        Map<String, SpendAggregate> latest = latestSpend();

        SpendAggregate hour = latest.get("customer:acme|HOUR|2026-11-22T10:00:00Z");
        assertThat(hour.getCostNanos()).isEqualTo(2_800_000 + 3_000_000 + 1_000_000);
        assertThat(hour.getRequests()).isEqualTo(3);
        assertThat(hour.getInputTokens()).isEqualTo(3_500);
        assertThat(hour.getByModel()).extracting(m -> m.getModel() + "=" + m.getCostNanos())
                .containsExactlyInAnyOrder("gpt-4.1=3800000", "claude-haiku-4-5=3000000");
        assertThat(latest.get("customer:acme/user:u1|MINUTE|2026-11-22T10:15:00Z").getCostNanos())
                .isEqualTo(5_800_000);
        assertThat(latest.get("customer:acme/user:u2|DAY|2026-11-22T00:00:00Z").getCostNanos()).isEqualTo(1_000_000);
        assertThat(latest.get("customer:acme/feature:summarize|MONTH|2026-11-01T00:00:00Z").getCostNanos())
                .isEqualTo(6_800_000);
        assertThat(latest.get("customer:acme/team:ml|DAY|2026-11-22T00:00:00Z").getRequests()).isEqualTo(3);
        assertThat(latest.get("global|DAY|2026-11-22T00:00:00Z").getCostNanos()).isEqualTo(6_800_000);
        SpendAggregate session = latest.get("session:s-1|SESSION");
        assertThat(session.getCostNanos()).isEqualTo(5_800_000);
        assertThat(session.getWindowStart()).isEqualTo(Instant.parse("2026-11-22T10:15:00Z"));
        assertThat(session.getWindowEnd()).isEqualTo(Instant.parse("2026-11-22T10:15:30.001Z"));
        assertThat(latest.get("customer:acme|MONTH|2026-11-01T00:00:00Z").getWindowEnd())
                .isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
    }

    @Test
    void shouldPublishEachChangedWindowOncePerIntervalAndAWindowLeftBehindWithItsLastFigure() {
        send(event("gpt-4.1", "2026-11-22T10:00:01Z", 1, 0));
        send(event("gpt-4.1", "2026-11-22T10:00:02Z", 2, 0));
        send(event("gpt-4.1", "2026-11-22T10:01:00Z", 4, 0)); // the 10:00 minute is left behind

        assertThat(spend.readKeyValuesToList()).as("before the interval: only the minute left behind")
                .extracting(kv -> kv.key + "=" + kv.value.getInputTokens())
                .filteredOn(s -> s.startsWith("customer:acme|"))
                .containsExactly("customer:acme|MINUTE|2026-11-22T10:00:00Z=3");
        driver.advanceWallClockTime(PUBLISH.minusSeconds(1));
        assertThat(spend.readKeyValuesToList()).as("a second before the interval ends").isEmpty();

        driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertThat(spend.readKeyValuesToList()).extracting(kv -> kv.key + "=" + kv.value.getInputTokens())
                .filteredOn(s -> s.startsWith("customer:acme|"))
                .containsExactlyInAnyOrder("customer:acme|MINUTE|2026-11-22T10:01:00Z=4",
                        "customer:acme|HOUR|2026-11-22T10:00:00Z=7", "customer:acme|DAY|2026-11-22T00:00:00Z=7",
                        "customer:acme|MONTH|2026-11-01T00:00:00Z=7");

        driver.advanceWallClockTime(PUBLISH);
        assertThat(spend.readKeyValuesToList()).as("nothing changed, nothing published").isEmpty();
    }

    @Test
    void shouldSumABusyScopesEventsBetweenTwoFlushesIntoOneRecordPerMinuteAndCountThemExactly() {
        TestOutputTopic<String, byte[]> byScope = driver.createOutputTopic("tokenmin-stream-by-scope-repartition",
                new StringDeserializer(), new ByteArrayDeserializer());
        UsageEvent repeated = null;
        for (int i = 0; i < 40; i++) { // two minutes, two users and sessions, two models; no flush in between
            UsageEvent e = event(i % 3 == 0 ? "claude-haiku-4-5" : "gpt-4.1",
                    String.format("2026-11-22T10:%d:%02dZ", 15 + i / 25, i % 25), 1_000 + i, 10L * i,
                    "u" + (i % 2 + 1), "s-" + (i % 2 + 1));
            usage.pipeInput(e.getEventId().toString(), e, e.getOccurredAt());
            repeated = i == 7 ? e : repeated;
        }
        usage.pipeInput(repeated.getEventId().toString(), repeated, repeated.getOccurredAt()); // a replay
        assertThat(byScope.readKeyValuesToList()).as("before the flush: users' and sessions' events, at once")
                .hasSize(80).allSatisfy(kv -> assertThat(kv.key).containsAnyOf("/user:", "session:"));

        Map<String, SpendAggregate> latest = latestSpend();

        assertThat(byScope.readKeyValuesToList()).as("then one sum per minute of global, customer, feature, team")
                .hasSize(8).noneSatisfy(kv -> assertThat(kv.key).containsAnyOf("/user:", "session:"));
        List<PricedUsage> all = priced.readValuesToList();
        assertThat(all).hasSize(40);
        long total = all.stream().mapToLong(p -> p.getCost().getTotalNanos()).sum();
        SpendAggregate hour = latest.get("customer:acme|HOUR|2026-11-22T10:00:00Z");
        assertThat(hour.getCostNanos()).isEqualTo(total);
        assertThat(hour.getRequests()).isEqualTo(40);
        assertThat(hour.getInputTokens()).isEqualTo(all.stream().mapToLong(p -> p.getEvent().getInputTokens()).sum());
        assertThat(hour.getByModel()).extracting(m -> m.getModel() + "=" + m.getRequests() + "/" + m.getCostNanos())
                .containsExactlyInAnyOrder("claude-haiku-4-5=14/" + costOf(all, p -> p.getEvent().getModel()
                        .startsWith("claude")), "gpt-4.1=26/" + costOf(all, p -> p.getEvent().getModel()
                        .equals("gpt-4.1")));
        assertThat(latest.get("customer:acme/user:u1|MINUTE|2026-11-22T10:15:00Z").getCostNanos())
                .isEqualTo(costOf(all, p -> p.getEvent().getUserId().equals("u1")
                        && p.getEvent().getOccurredAt().isBefore(Instant.parse("2026-11-22T10:16:00Z"))));
        SpendAggregate session = latest.get("session:s-2|SESSION");
        assertThat(session.getCostNanos()).isEqualTo(costOf(all, p -> p.getEvent().getSessionId().equals("s-2")));
        assertThat(session.getRequests()).isEqualTo(20);
        assertThat(session.getWindowStart()).isEqualTo(Instant.parse("2026-11-22T10:15:01Z"));
        assertThat(session.getWindowEnd()).isEqualTo(Instant.parse("2026-11-22T10:16:14.001Z"));
    }

    private static long costOf(List<PricedUsage> priced, Predicate<PricedUsage> which) {
        return priced.stream().filter(which).mapToLong(p -> p.getCost().getTotalNanos()).sum();
    }

    @Test
    void shouldPutEventsOnEitherSideOfAWindowBoundaryInTheirOwnWindows() {
        send(event("gpt-4.1", "2026-11-22T10:59:59.999Z", 1_000, 0));
        send(event("gpt-4.1", "2026-11-22T11:00:00.000Z", 2_000, 0));
        send(event("gpt-4.1", "2026-11-30T23:59:59.999Z", 1, 0));
        send(event("gpt-4.1", "2026-12-01T00:00:00.000Z", 1, 0));

        Map<String, SpendAggregate> latest = latestSpend();

        assertThat(latest.get("customer:acme|HOUR|2026-11-22T10:00:00Z").getInputTokens()).isEqualTo(1_000);
        assertThat(latest.get("customer:acme|HOUR|2026-11-22T11:00:00Z").getInputTokens()).isEqualTo(2_000);
        assertThat(latest.get("customer:acme|MONTH|2026-11-01T00:00:00Z").getInputTokens()).isEqualTo(3_001);
        assertThat(latest.get("customer:acme|MONTH|2026-12-01T00:00:00Z").getInputTokens()).isEqualTo(1);
    }

    @Test
    void shouldCountALateEventWithinGraceAndKeepOnePastGraceInThePricedTopicOnly() {
        long lateBefore = MeteringCounters.LATE.get();
        send(event("gpt-4.1", "2026-11-22T10:10:00Z", 1_000, 0));
        send(event("gpt-4.1", "2026-11-22T12:30:00Z", 1, 0)); // stream time moves on 2 h 20 min
        UsageEvent withinGrace = event("gpt-4.1", "2026-11-22T11:40:00Z", 7, 0);  // its hour closed 30 min ago
        UsageEvent pastGrace = event("gpt-4.1", "2026-11-22T10:20:00Z", 9, 0);    // its hour closed 1 h 30 min ago
        send(withinGrace);
        send(pastGrace);

        Map<String, SpendAggregate> latest = latestSpend();
        assertThat(latest.get("customer:acme|HOUR|2026-11-22T11:00:00Z").getInputTokens()).isEqualTo(7);
        assertThat(latest.get("customer:acme|HOUR|2026-11-22T10:00:00Z").getInputTokens())
                .as("past the 1 h grace: not in the closed hour").isEqualTo(1_000);
        assertThat(latest.get("customer:acme|DAY|2026-11-22T00:00:00Z").getInputTokens())
                .as("the day is still open").isEqualTo(1_000 + 1 + 7 + 9);
        assertThat(priced.readValuesToList()).extracting(p -> p.getEvent().getEventId())
                .contains(pastGrace.getEventId());
        assertThat(MeteringCounters.LATE.get() - lateBefore).as("reported as late, once").isEqualTo(1);
    }

    private static String header(TestRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
