package dev.tokenmin.stream.app;

import com.clickhouse.client.api.Client;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.avro.WindowKind;
import dev.tokenmin.clickhouse.migration.MigrationRunner;
import dev.tokenmin.clickhouse.migration.Migrations;
import dev.tokenmin.clickhouse.report.Report;
import dev.tokenmin.clickhouse.report.Reports;
import dev.tokenmin.clickhouse.sink.TopicSink;
import dev.tokenmin.clickhouse.sink.UsageRows;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import dev.tokenmin.schemas.NanoUsd;
import dev.tokenmin.schemas.scope.ScopeKey;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import dev.tokenmin.stream.errors.DeadLetterHandlers;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.spend.CalendarMonthWindows;
import dev.tokenmin.stream.spend.SpendAggregates;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The stream app on the real local stack (KRaft broker, schema registry), exactly-once: 100,000 distinct events
 * over many scopes, with duplicates and bad records (poison bytes, another schema, an oversized record, an invalid
 * event) mixed in; every scope's totals must equal its distinct inputs.
 * Expected costs come from this test's own price table (integer nano-USD per token for three models, copied from
 * the public list prices), not from the app's pricer.
 */
@ExtendWith(LocalStackExtension.class)
class MeteringIT {

    private static final int EVENTS = 100_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Nano-USD per token: input, cached input, cache write, output. */
    private static final Map<String, long[]> NANOS_PER_TOKEN = Map.of(
            "openai/gpt-4.1", new long[] {2_000, 500, 2_000, 8_000},
            "openai/gpt-4.1-mini", new long[] {400, 100, 400, 1_600},
            "anthropic/claude-haiku-4-5", new long[] {1_000, 100, 1_250, 5_000});
    private static final List<String> MODELS = List.copyOf(NANOS_PER_TOKEN.keySet()).stream().sorted().toList();

    /** Expected totals of one spend key: requests, cost, input, cached input, cache write, output tokens. */
    private static final class Totals {
        long requests;
        long cost;
        long input;
        long cached;
        long cacheWrite;
        long output;

        void add(UsageEvent e, long eventCost) {
            requests++;
            cost += eventCost;
            input += e.getInputTokens();
            cached += e.getCachedInputTokens();
            cacheWrite += e.getCacheWriteTokens();
            output += e.getOutputTokens();
        }

        boolean matches(SpendAggregate a) {
            return a.getRequests() == requests && a.getCostNanos() == cost && a.getInputTokens() == input
                    && a.getCachedInputTokens() == cached && a.getCacheWriteTokens() == cacheWrite
                    && a.getOutputTokens() == output;
        }

        @Override
        public String toString() {
            return requests + " requests, " + cost + " nanos, tokens " + input + "/" + cached + "/" + cacheWrite
                    + "/" + output;
        }
    }

    static UsageEvent event(Random random, Instant now) {
        int customer = random.nextInt(20);
        String[] model = MODELS.get(random.nextInt(MODELS.size())).split("/");
        long output = random.nextInt(1_000);
        return UsageEvent.newBuilder().setEventId(UUID.randomUUID())
                .setOccurredAt(now.minusMillis(random.nextInt(120_000)))
                .setSource("gw-" + random.nextInt(3)).setCustomerId("c" + customer)
                .setUserId("u" + random.nextInt(50)).setFeature("f" + random.nextInt(5)).setTeam("t" + random.nextInt(3))
                .setSessionId("s-" + customer + "-" + random.nextInt(25))
                .setProvider(model[0]).setModel(model[1])
                .setInputTokens(random.nextInt(5_000)).setCachedInputTokens(random.nextInt(2_000))
                .setCacheWriteTokens(random.nextInt(500)).setOutputTokens(output)
                .setReasoningTokens(output / 3).build();
    }

    static long cost(UsageEvent e) {
        long[] p = NANOS_PER_TOKEN.get(e.getProvider() + "/" + e.getModel());
        return e.getInputTokens() * p[0] + e.getCachedInputTokens() * p[1] + e.getCacheWriteTokens() * p[2]
                + e.getOutputTokens() * p[3];
    }

    @Test
    void shouldCountEveryDistinctEventOnceInEveryScopeAndAnswerFromAnyInstance(Stack stack, TestNames names,
                                                                              @TempDir Path state)
            throws Exception {
        try (RunningApp run = new RunningApp(stack, names.toString(), names.applicationId("tokenmin"), state, 4)) {
            StreamApp first = run.startInstance();
            long undecodableBefore = DeadLetterHandlers.counter("undecodable").get();
            long oversizedBefore = DeadLetterHandlers.counter("oversized").get();
            Random random = new Random(42);
            Instant now = Instant.now();

            // Bad records first: they must go to the dead-letter topic and stop nothing. Poison bytes; a record of
            // another registered schema (a price entry, framed for the prices topic); and an event far larger than
            // any valid one.
            UsageEvent huge = event(random, now);
            Map<String, String> labels = new HashMap<>();
            for (int i = 0; i < 40; i++) {
                labels.put("l" + i, "x".repeat(2_000));
            }
            huge.setLabels(labels);
            try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(run.kafka, new StringSerializer(),
                    new ByteArraySerializer())) {
                raw.send(new ProducerRecord<>(run.topics.usage(), "poison", new byte[] {0, 0, 0, 0, 7, 42})).get();
                PriceEntry price = PriceCatalog.bundled().entries().getFirst();
                raw.send(new ProducerRecord<>(run.topics.usage(), "wrong-schema", ConfluentAvroSerde.of(
                        PriceEntry.class, run.registry, false).serializer().serialize(run.topics.prices(), price)))
                        .get();
                raw.send(new ProducerRecord<>(run.topics.usage(), huge.getEventId().toString(), ConfluentAvroSerde.of(
                        UsageEvent.class, run.registry, true).serializer().serialize(run.topics.usage(), huge))).get();
            }
            UsageEvent negative = event(random, now);
            negative.setInputTokens(-1);

            Map<String, Totals> expected = new HashMap<>();
            List<UsageEvent> sent = new ArrayList<>(EVENTS);
            long started;
            try (KafkaProducer<String, UsageEvent> producer = run.usageProducer(5)) {
                producer.send(new ProducerRecord<>(run.topics.usage(), negative.getEventId().toString(), negative));
                started = System.nanoTime();
                for (int i = 0; i < EVENTS; i++) {
                    UsageEvent e = event(random, now);
                    sent.add(e);
                    producer.send(new ProducerRecord<>(run.topics.usage(), e.getEventId().toString(), e));
                    if (i % 50 == 0 && sent.size() > 1) { // a retry or a spool replay of an earlier event
                        UsageEvent again = sent.get(random.nextInt(sent.size() - 1));
                        producer.send(new ProducerRecord<>(run.topics.usage(), again.getEventId().toString(), again));
                    }
                }
                producer.flush();
            }
            for (UsageEvent e : sent) {
                long c = cost(e);
                for (ScopeKey scope : ScopeKey.ofRequest(e.getCustomerId(), e.getUserId(), e.getFeature(), e.getTeam(),
                        e.getSessionId())) {
                    if (scope.kind() == ScopeKey.Kind.SESSION) {
                        expected.computeIfAbsent(SpendAggregates.sessionKey(scope.toString()), k -> new Totals())
                                .add(e, c);
                    } else {
                        long month = CalendarMonthWindows.monthOf(e.getOccurredAt().toEpochMilli()).start();
                        expected.computeIfAbsent(SpendAggregates.key(scope.toString(), WindowKind.MONTH,
                                Instant.ofEpochMilli(month)), k -> new Totals()).add(e, c);
                    }
                }
            }

            // Done when the global scope, which every event reaches, has counted them all.
            long globalCount = expected.entrySet().stream().filter(en -> en.getKey().startsWith("global|"))
                    .mapToLong(en -> en.getValue().requests).sum();
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
                    .until(() -> globalRequests(run, first, now) >= globalCount);
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("[MeteringIT] %,d distinct events (+%,d duplicates) through the topology in %.1f s: "
                    + "%,.0f events/s, exactly-once, real broker, 4 partitions%n", EVENTS, EVENTS / 50, seconds,
                    EVENTS / seconds);
            assertThat(globalRequests(run, first, now)).isEqualTo(globalCount);

            // Every scope's month total (a session's: its whole-life total) on the spend topic equals its distinct
            // inputs.
            ConfluentAvroSerde<SpendAggregate> spendSerde = ConfluentAvroSerde.of(SpendAggregate.class, run.registry,
                    false);
            Map<String, SpendAggregate> latest = new HashMap<>();
            run.read(run.topics.spend(), spendSerde.deserializer(), records -> {
                records.forEach(r -> latest.put(r.key(), r.value()));
                records.clear(); // kept as the latest value per key instead
                return expected.entrySet().stream().allMatch(en -> latest.containsKey(en.getKey())
                        && en.getValue().matches(latest.get(en.getKey())));
            }, Duration.ofMinutes(2));
            List<String> wrong = expected.entrySet().stream()
                    .filter(en -> !latest.containsKey(en.getKey()) || !en.getValue().matches(latest.get(en.getKey())))
                    .map(en -> en.getKey() + ": expected " + en.getValue() + ", was " + latest.get(en.getKey()))
                    .limit(10).toList();
            assertThat(wrong).as("scopes whose totals differ from their distinct inputs").isEmpty();
            assertThat(latest.keySet().stream().filter(k -> k.contains("|MONTH|")).count())
                    .as("no scope the inputs do not have").isEqualTo(expected.keySet().stream()
                            .filter(k -> k.contains("|MONTH|")).count());
            System.out.printf("[MeteringIT] %,d scope totals (months and sessions) equal their distinct inputs%n",
                    expected.size());

            // The poison bytes, the wrong schema, the oversized record and the invalid event are in the dead-letter
            // topic as they arrived, with error headers; nothing else is.
            List<ConsumerRecord<String, byte[]>> dead = run.read(run.topics.deadLetters(), new ByteArrayDeserializer(),
                    records -> records.size() >= 4, Duration.ofSeconds(30));
            assertThat(dead).hasSize(4);
            assertThat(dead).extracting(r -> header(r, DeadLetterHandlers.HEADER_TOPIC))
                    .containsOnly(run.topics.usage());
            assertThat(dead).allMatch(r -> r.headers().lastHeader(DeadLetterHandlers.HEADER_EXCEPTION) != null
                    && r.headers().lastHeader(DeadLetterHandlers.HEADER_OFFSET) != null);
            assertThat(dead).extracting(ConsumerRecord::key).contains("poison", "wrong-schema",
                    huge.getEventId().toString(), negative.getEventId().toString());
            assertThat(dead).filteredOn(r -> r.key().equals(huge.getEventId().toString()))
                    .extracting(r -> header(r, DeadLetterHandlers.HEADER_MESSAGE))
                    .allMatch(m -> m.contains("is over the limit of 65536 bytes"));
            assertThat(dead).filteredOn(r -> r.key().equals("wrong-schema")).extracting(r -> r.value().length)
                    .as("kept as it arrived").containsExactly(ConfluentAvroSerde.of(PriceEntry.class, run.registry,
                            false).serializer().serialize(run.topics.prices(),
                            PriceCatalog.bundled().entries().getFirst()).length);
            assertThat(dead).extracting(r -> header(r, DeadLetterHandlers.HEADER_MESSAGE))
                    .anyMatch(m -> m.contains("input_tokens: must not be negative"));
            assertThat(DeadLetterHandlers.counter("undecodable").get() - undecodableBefore).isEqualTo(2);
            assertThat(DeadLetterHandlers.counter("oversized").get() - oversizedBefore).isEqualTo(1);

            // ClickHouse, fed by the real sink from the priced topic, reports the same month totals per customer.
            reportsMatch(run, names, expected);

            // Readiness and the meters operators scrape.
            assertThat(run.get(first, "/readyz").statusCode()).isEqualTo(200);
            String metrics = run.get(first, "/metrics").body();
            assertThat(metrics).contains("tokenmin_events_priced_total", "tokenmin_events_duplicates_total",
                    "tokenmin_dead_lettered_total{reason=\"undecodable\"}", "kafka_stream_thread_");
            // The meters of RocksDB key-value and window stores and of in-memory ones side by side (Kafka Streams
            // tags them differently; Micrometer's binder looks for new ones about once a minute).
            await().atMost(Duration.ofMinutes(2)).until(() -> run.get(first, "/metrics").body(),
                    m -> m.contains("store_type=\"rocksdb\"") && m.contains("store_type=\"rocksdb-window\"")
                            && m.contains("store_type=\"in-memory\""));

            // A second instance takes half the partitions; both answer for every scope, forwarding to the owner.
            StreamApp second = run.startInstance();
            await().atMost(Duration.ofMinutes(2)).until(() -> first.awaitRunning(Duration.ofSeconds(1))
                    && second.awaitRunning(Duration.ofSeconds(1)));
            List<String> sample = expected.keySet().stream().filter(k -> k.contains("|MONTH|"))
                    .filter(k -> k.contains("user:") || k.startsWith("customer:") && !k.contains("/"))
                    .sorted().limit(60).toList();
            for (StreamApp asked : List.of(first, second)) {
                for (String key : sample) {
                    String scope = key.substring(0, key.indexOf('|'));
                    JsonNode body = await().atMost(Duration.ofSeconds(60)).until(
                            () -> spend(run, asked, scope, now), b -> b != null);
                    assertThat(body.get("cost_nanos").asLong()).as(key).isEqualTo(expected.get(key).cost);
                    assertThat(body.get("requests").asLong()).as(key).isEqualTo(expected.get(key).requests);
                }
            }
        }
    }

    private static void reportsMatch(RunningApp run, TestNames names, Map<String, Totals> expected)
            throws Exception {
        String db = names.database();
        try (Client client = new Client.Builder().addEndpoint(run.stack.clickHouseUrl()).setUsername("default")
                .setPassword("").build()) {
            new MigrationRunner(client, MigrationRunner.Settings.of(db)).migrate(Migrations.bundled());
            TopicSink<PricedUsage> sink = new TopicSink<>(client, new TopicSink.Settings(run.topics.priced(), db,
                    "usage_events", 50_000, Duration.ofMillis(500)), Map.of("bootstrap.servers",
                    run.stack.kafkaBootstrapServers(), "group.id", names.applicationId("sink")),
                    ConfluentAvroSerde.of(PricedUsage.class, run.registry, false).deserializer(), new UsageRows());
            Thread t = Thread.ofPlatform().start(sink);
            try {
                await().atMost(Duration.ofMinutes(2)).until(() -> sink.counts().rows().get() >= EVENTS);
            } finally {
                sink.close();
                t.join(30_000);
            }
            Map<String, String> fromStream = new HashMap<>();
            expected.forEach((key, totals) -> {
                if (key.startsWith("customer:") && !key.contains("/") && key.contains("|MONTH|")) {
                    String customer = key.substring("customer:".length(), key.indexOf('|'));
                    String month = key.substring(key.lastIndexOf('|') + 1, key.lastIndexOf('|') + 11);
                    fromStream.put(month + " " + customer, totals.requests + " " + NanoUsd.format(totals.cost));
                }
            });
            Map<String, String> fromReport = new HashMap<>();
            for (List<String> row : new Reports(client, db).run(Report.CUSTOMER, Instant.parse("2026-01-01T00:00:00Z"),
                    null, 10)) {
                fromReport.put(row.get(0) + " " + row.get(1), row.get(2) + " " + row.get(3));
            }
            assertThat(fromReport).as("the customer report against the stream app's month totals")
                    .isEqualTo(fromStream);
            System.out.printf("[MeteringIT] ClickHouse's customer report equals the stream app's totals for all %d "
                    + "customers%n", fromReport.size());
        }
    }

    private static long globalRequests(RunningApp run, StreamApp instance, Instant now) throws Exception {
        JsonNode body = spend(run, instance, "global", now);
        return body == null ? -1 : body.get("requests").asLong();
    }

    /** The scope's spend this month through {@code instance}'s API, or null while it answers 503. */
    private static JsonNode spend(RunningApp run, StreamApp instance, String scope, Instant now) throws Exception {
        HttpResponse<String> r = run.get(instance, "/v1/spend?scope=" + URLEncoder.encode(scope,
                StandardCharsets.UTF_8) + "&window=month&at=" + now);
        if (r.statusCode() == 503) {
            return null;
        }
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static String header(ConsumerRecord<String, byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
