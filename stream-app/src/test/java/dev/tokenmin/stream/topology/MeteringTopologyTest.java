package dev.tokenmin.stream.topology;

import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.errors.DeadLetterHandlers;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.pricing.PriceKeys;
import dev.tokenmin.stream.serde.StreamSerdes;
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
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The production metering topology, driven by TopologyTestDriver. */
class MeteringTopologyTest {

    private static final StreamSerdes SERDES = TestSerdes.registryFree();

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, UsageEvent> usage;
    private TestInputTopic<String, byte[]> rawUsage;
    private TestOutputTopic<String, PricedUsage> priced;
    private TestOutputTopic<byte[], byte[]> deadLetters;

    @BeforeEach
    void start() {
        StreamAppConfig config = StreamAppConfig.fromProperties(Map.of("bootstrap.servers", "unused:9092",
                "schema.registry.url", "http://unused", "state.dir", stateDir.toString()));
        TopicNames topics = config.topics();
        driver = new TopologyTestDriver(MeteringTopology.build(config, SERDES), config.streamsProperties(),
                Instant.parse("2026-11-22T12:00:00Z"));
        TestInputTopic<String, PriceEntry> prices = driver.createInputTopic(topics.prices(), new StringSerializer(),
                SERDES.price().serializer());
        PriceCatalog.bundled().entries().forEach(e -> prices.pipeInput(PriceKeys.key(e), e));
        usage = driver.createInputTopic(topics.usage(), new StringSerializer(), SERDES.usage().serializer());
        rawUsage = driver.createInputTopic(topics.usage(), new StringSerializer(), new ByteArraySerializer());
        priced = driver.createOutputTopic(topics.priced(), new StringDeserializer(), SERDES.priced().deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetters(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    static UsageEvent event(String model, String occurredAt, long input, long output) {
        return UsageEvent.newBuilder().setEventId(UUID.randomUUID()).setOccurredAt(Instant.parse(occurredAt))
                .setSource("gw").setCustomerId("acme").setUserId("u1").setFeature("summarize")
                .setProvider(model.startsWith("claude") ? "anthropic" : "openai").setModel(model)
                .setInputTokens(input).setOutputTokens(output).build();
    }

    private void send(UsageEvent e) {
        usage.pipeInput(e.getEventId().toString(), e, e.getOccurredAt());
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
    void shouldDeadLetterInvalidAndUndecodableRecordsAndKeepGoing() {
        long undecodableBefore = DeadLetterHandlers.counts().computeIfAbsent("undecodable",
                k -> new AtomicLong()).get();
        UsageEvent negative = event("gpt-4.1", "2026-11-22T11:00:00Z", -5, 10);
        UsageEvent wrongKey = event("gpt-4.1", "2026-11-22T11:00:01Z", 5, 10);
        UsageEvent fine = event("gpt-4.1", "2026-11-22T11:00:02Z", 1_000, 100);

        send(negative);
        rawUsage.pipeInput("some-key", "poison".getBytes(StandardCharsets.UTF_8));
        usage.pipeInput("not-the-event-id", wrongKey, wrongKey.getOccurredAt());
        send(fine);

        assertThat(priced.readValuesToList()).extracting(p -> p.getEvent().getEventId())
                .containsExactly(fine.getEventId());
        // TopologyTestDriver does not pass on the dead-letter records of the deserialization handler (the real
        // broker does); here the undecodable record shows as counted, and it stopped nothing.
        assertThat(DeadLetterHandlers.counts().get("undecodable").get() - undecodableBefore).isEqualTo(1);
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

    private static String header(TestRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
