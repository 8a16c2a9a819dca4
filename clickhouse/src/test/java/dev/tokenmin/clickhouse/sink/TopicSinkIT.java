package dev.tokenmin.clickhouse.sink;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.CompressionMethod;
import com.clickhouse.client.api.query.GenericRecord;
import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.AlertKind;
import dev.tokenmin.avro.CostBreakdown;
import dev.tokenmin.avro.LimitUnit;
import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.Severity;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.avro.UnpricedModelDetail;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.avro.UsageStatus;
import dev.tokenmin.clickhouse.migration.MigrationRunner;
import dev.tokenmin.clickhouse.migration.Migrations;
import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import dev.tokenmin.schemas.pricing.PriceKeys;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sink on the real local stack: 200,000 priced events into usage_events, with the first sink dying between
 * an insert and its offset commit; a second sink takes over. The raw table (without FINAL) and the rollups must
 * hold each event exactly once.
 */
@ExtendWith(LocalStackExtension.class)
class TopicSinkIT {

    private static final int EVENTS = 200_000;

    static PricedUsage priced(Random random, Instant at) {
        long input = random.nextInt(5_000);
        long output = random.nextInt(1_000);
        long cost = input * 2_000 + output * 8_000;
        UsageEvent e = UsageEvent.newBuilder().setEventId(UUID.randomUUID()).setOccurredAt(at).setSource("gw")
                .setCustomerId("c" + random.nextInt(10)).setUserId("u" + random.nextInt(100))
                .setFeature("f" + random.nextInt(5)).setProvider("openai").setModel("gpt-4.1")
                .setInputTokens(input).setCachedInputTokens(random.nextInt(100)).setCacheWriteTokens(random.nextInt(50))
                .setOutputTokens(output).setReasoningTokens(output / 4)
                .setLabels(Map.of("env", "prod")).build();
        return PricedUsage.newBuilder().setEvent(e).setCost(CostBreakdown.newBuilder().setInputNanos(input * 2_000)
                        .setCachedInputNanos(0).setCacheWriteNanos(0).setOutputNanos(output * 8_000).setTotalNanos(cost)
                        .build())
                .setUnpriced(false).setPriceEffectiveFrom(Instant.parse("2025-04-14T00:00:00Z")).setPricedAt(at).build();
    }

    @Test
    void shouldWriteEveryEventExactlyOnceAcrossACrashBetweenInsertAndCommit(Stack stack, TestNames names)
            throws Exception {
        String topic = names.topic("priced");
        String db = names.database();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
        }
        // customer/feature -> count, cost, input, cached input, cache write, output, reasoning
        Map<String, long[]> expected = new HashMap<>();
        try (SchemaRegistryClient registry = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()));
             Client client = new Client.Builder().addEndpoint(stack.clickHouseUrl()).setUsername("default")
                     .setPassword("").build()) {
            new MigrationRunner(client, MigrationRunner.Settings.of(db)).migrate(Migrations.bundled());
            Random random = new Random(3);
            Instant at = Instant.parse("2026-11-22T10:00:00Z");
            try (KafkaProducer<String, PricedUsage> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                    stack.kafkaBootstrapServers(), "linger.ms", 10), new StringSerializer(),
                    ConfluentAvroSerde.of(PricedUsage.class, registry, true).serializer())) {
                for (int i = 0; i < EVENTS; i++) {
                    PricedUsage p = priced(random, at.plusMillis(i * 10L));
                    UsageEvent e = p.getEvent();
                    long[] t = expected.computeIfAbsent(e.getCustomerId() + "/" + e.getFeature(), k -> new long[7]);
                    t[0]++;
                    t[1] += p.getCost().getTotalNanos();
                    t[2] += e.getInputTokens();
                    t[3] += e.getCachedInputTokens();
                    t[4] += e.getCacheWriteTokens();
                    t[5] += e.getOutputTokens();
                    t[6] += e.getReasoningTokens();
                    producer.send(new ProducerRecord<>(topic, e.getEventId().toString(), p));
                }
            }
            Map<String, Object> kafka = Map.of("bootstrap.servers", stack.kafkaBootstrapServers(),
                    "group.id", names.applicationId("sink"));
            TopicSink.Settings settings = new TopicSink.Settings(topic, db, "usage_events", 20_000,
                    Duration.ofSeconds(1));

            // The first sink dies right after its third insert, before committing it.
            TopicSink<PricedUsage> first = new TopicSink<>(client, settings, kafka,
                    ConfluentAvroSerde.of(PricedUsage.class, registry, false).deserializer(), new UsageRows());
            AtomicInteger inserts = new AtomicInteger();
            first.afterInsert(() -> {
                if (inserts.incrementAndGet() == 3) {
                    throw new IllegalStateException("simulated crash between insert and commit");
                }
            });
            AtomicReference<Throwable> died = new AtomicReference<>();
            Thread t1 = Thread.ofPlatform().start(() -> {
                try {
                    first.run();
                } catch (Throwable e) {
                    died.set(e);
                }
            });
            t1.join(120_000);
            assertThat(died.get()).hasMessageContaining("simulated crash");

            TopicSink<PricedUsage> second = new TopicSink<>(client, settings, kafka,
                    ConfluentAvroSerde.of(PricedUsage.class, registry, false).deserializer(), new UsageRows());
            long start = System.nanoTime();
            Thread t2 = Thread.ofPlatform().start(second);
            try {
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                        .until(() -> count(client, "SELECT count() FROM " + db + ".usage_events") >= EVENTS);
                // Still exactly EVENTS two seconds on: a replayed batch, were it not dropped, would have landed.
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                        .pollInterval(Duration.ofMillis(250)).until(() -> count(client, "SELECT count() FROM " + db + ".usage_events") == EVENTS);
            } finally {
                second.close();
                t2.join(30_000);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("[TopicSinkIT] second sink: %,d rows in %,d batches (%d retries) in %.1f s: %,.0f rows/s%n",
                    second.counts().rows().get(), second.counts().batches().get(), second.counts().retries().get(),
                    seconds, second.counts().rows().get() / seconds);

            assertThat(count(client, "SELECT count() FROM " + db + ".usage_events")).as("raw rows, no FINAL")
                    .isEqualTo(EVENTS);
            List<GenericRecord> groups = client.queryAll("SELECT customer_id, feature, count() AS n, "
                    + "sum(total_cost_nanos) AS cost, sum(input_tokens) AS input, sum(cached_input_tokens) AS cached, "
                    + "sum(cache_write_tokens) AS cache_write, sum(output_tokens) AS output, "
                    + "sum(reasoning_tokens) AS reasoning FROM " + db + ".usage_events GROUP BY customer_id, feature");
            assertThat(groups).hasSize(expected.size());
            for (GenericRecord r : groups) {
                long[] t = expected.get(r.getString("customer_id") + "/" + r.getString("feature"));
                assertThat(new long[] {r.getLong("n"), r.getLong("cost"), r.getLong("input"), r.getLong("cached"),
                        r.getLong("cache_write"), r.getLong("output"), r.getLong("reasoning")})
                        .as(r.getString("customer_id") + "/" + r.getString("feature")).containsExactly(t);
            }
            long cost = expected.values().stream().mapToLong(t -> t[1]).sum();
            assertThat(count(client, "SELECT sum(requests) FROM " + db + ".spend_daily")).as("rollup requests")
                    .isEqualTo(EVENTS);
            assertThat(count(client, "SELECT sum(cost_nanos) FROM " + db + ".spend_hourly")).as("rollup cost")
                    .isEqualTo(cost);
        }
    }

    @Test
    void shouldStopConsumingWhileClickHouseIsAwayAndLoseNothing(LocalStack stack, TestNames names) throws Exception {
        int events = 60_000;
        String topic = names.topic("priced");
        String db = names.database();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        }
        long expectedCost = 0;
        try (SchemaRegistryClient registry = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()));
             Client client = new Client.Builder().addEndpoint(stack.clickHouseUrl()).setUsername("default")
                     .setPassword("").build();
             KafkaProducer<String, PricedUsage> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                     stack.kafkaBootstrapServers()), new StringSerializer(),
                     ConfluentAvroSerde.of(PricedUsage.class, registry, true).serializer())) {
            new MigrationRunner(client, MigrationRunner.Settings.of(db)).migrate(Migrations.bundled());
            TopicSink<PricedUsage> sink = new TopicSink<>(client, new TopicSink.Settings(topic, db, "usage_events", 5_000,
                    Duration.ofMillis(500)), Map.of("bootstrap.servers", stack.kafkaBootstrapServers(), "group.id",
                    names.applicationId("sink")), ConfluentAvroSerde.of(PricedUsage.class, registry, false)
                    .deserializer(), new UsageRows());
            Thread running = Thread.ofPlatform().start(sink);
            Random random = new Random(5);
            Instant at = Instant.parse("2026-11-22T10:00:00Z");
            try {
                for (int i = 0; i < events; i++) {
                    if (i == events / 3) {
                        producer.flush();
                        await().atMost(Duration.ofMinutes(1)).until(() -> sink.counts().rows().get() > 0);
                        stack.clickHouse().stop();
                        System.out.println("[TopicSinkIT] ClickHouse stopped with " + sink.counts().rows().get()
                                + " rows in; producing on for 30 s");
                    }
                    if (i == 2 * events / 3) {
                        producer.flush();
                        Thread.sleep(30_000); // the fault: ClickHouse stays away for 30 s while events keep coming
                        stack.clickHouse().restart();
                    }
                    PricedUsage p = priced(random, at.plusMillis(i));
                    expectedCost += p.getCost().getTotalNanos();
                    producer.send(new ProducerRecord<>(topic, p.getEvent().getEventId().toString(), p));
                }
                producer.flush();
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                        .until(() -> count(client, "SELECT count() FROM " + db + ".usage_events") >= events);
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                        .pollInterval(Duration.ofMillis(250)).until(() -> count(client, "SELECT count() FROM " + db + ".usage_events") == events);
            } finally {
                if (!stack.clickHouse().isRunning()) {
                    stack.clickHouse().restart();
                }
                sink.close();
                running.join(30_000);
            }
            System.out.printf("[TopicSinkIT] after 30 s without ClickHouse: %d insert retries, %,d rows%n",
                    sink.counts().retries().get(), count(client, "SELECT count() FROM " + db + ".usage_events"));
            assertThat(sink.counts().retries().get()).as("it noticed ClickHouse was away").isPositive();
            assertThat(count(client, "SELECT count() FROM " + db + ".usage_events")).isEqualTo(events);
            assertThat(count(client, "SELECT sum(total_cost_nanos) FROM " + db + ".usage_events"))
                    .isEqualTo(expectedCost);
            assertThat(count(client, "SELECT sum(requests) FROM " + db + ".spend_daily")).isEqualTo(events);
        }
    }

    @Test
    void shouldKeepAlertsAndEveryDecisionIncludingLiftsAsTheAuditTrail(Stack stack, TestNames names)
            throws Exception {
        String alerts = names.topic("alerts");
        String throttle = names.topic("throttle");
        String db = names.database();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(alerts, 1, (short) 1), new NewTopic(throttle, 1, (short) 1)))
                    .all().get();
        }
        try (SchemaRegistryClient registry = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()));
             Client client = new Client.Builder().addEndpoint(stack.clickHouseUrl()).setUsername("default")
                     .setPassword("").build()) {
            new MigrationRunner(client, MigrationRunner.Settings.of(db)).migrate(Migrations.bundled());
            Instant now = Instant.parse("2026-11-22T12:00:00Z");
            try (KafkaProducer<String, Alert> ap = new KafkaProducer<>(Map.of("bootstrap.servers",
                    stack.kafkaBootstrapServers()), new StringSerializer(),
                    ConfluentAvroSerde.of(Alert.class, registry, true).serializer());
                 KafkaProducer<String, ThrottleDecision> dp = new KafkaProducer<>(Map.of("bootstrap.servers",
                         stack.kafkaBootstrapServers()), new StringSerializer(),
                         ConfluentAvroSerde.of(ThrottleDecision.class, registry, true).serializer())) {
                Alert alert = Alert.newBuilder().setAlertId(UUID.randomUUID()).setKind(AlertKind.UNPRICED_MODEL)
                        .setSeverity(Severity.WARNING).setScope("global").setRaisedAt(now).setSummary("no price")
                        .setDetail(UnpricedModelDetail.newBuilder().setProvider("openai").setModel("gpt-9")
                                .setFirstSeenAt(now).build()).build();
                ap.send(new ProducerRecord<>(alerts, "global", alert)).get();
                for (ThrottleAction action : List.of(ThrottleAction.DOWNGRADE, ThrottleAction.BLOCK)) {
                    dp.send(new ProducerRecord<>(throttle, "customer:acme", ThrottleDecision.newBuilder()
                            .setScope("customer:acme").setAction(action).setMaxModelTier("small")
                            .setReason("budget b: 90% of 10 USD per month").setBudgetId("b").setSpent(9)
                            .setLimit(10).setLimitUnit(LimitUnit.NANO_USD).setPeriodEnd(now.plusSeconds(3600))
                            .setDecidedAt(now).build())).get();
                }
                dp.send(new ProducerRecord<>(throttle, "customer:acme", null)).get(); // lifted
            }
            String prices = names.topic("prices");
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()));
                 KafkaProducer<String, PriceEntry> pp = new KafkaProducer<>(Map.of("bootstrap.servers",
                         stack.kafkaBootstrapServers()), new StringSerializer(),
                         ConfluentAvroSerde.of(PriceEntry.class, registry, true).serializer())) {
                admin.createTopics(List.of(new NewTopic(prices, 1, (short) 1))).all().get();
                PriceEntry entry = PriceEntry.newBuilder().setProvider("openai").setModel("gpt-4.1").setTier("medium")
                        .setEffectiveFrom(Instant.parse("2025-04-14T00:00:00Z")).setInputNanosPerMtok(2_000_000_000L)
                        .setCachedInputNanosPerMtok(500_000_000L).setCacheWriteNanosPerMtok(2_000_000_000L)
                        .setOutputNanosPerMtok(8_000_000_000L).build();
                pp.send(new ProducerRecord<>(prices, PriceKeys.key(entry), entry)).get();
                pp.send(new ProducerRecord<>(prices, "openai/o1@2024-12-17T00:00:00Z", null)).get(); // dropped
            }
            TopicSink<PriceEntry> priceSink = new TopicSink<>(client, new TopicSink.Settings(prices, db, "prices", 100,
                    Duration.ofMillis(200)), with(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()),
                    names.applicationId("prices")), ConfluentAvroSerde.of(PriceEntry.class, registry, false)
                    .deserializer(), AuditRows::price);
            Thread ps = Thread.ofPlatform().start(priceSink);
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> count(client, "SELECT count() FROM " + db
                        + ".prices") == 2);
            } finally {
                priceSink.close();
                ps.join(10_000);
            }
            assertThat(client.queryAll("SELECT model, deleted, output_nanos_per_mtok AS o FROM " + db
                    + ".prices ORDER BY model").stream().map(r -> r.getString("model") + ":" + r.getInteger("deleted")
                    + ":" + r.getLong("o")).toList()).containsExactly("gpt-4.1:0:8000000000", "o1:1:0");
            Map<String, Object> kafka = Map.of("bootstrap.servers", stack.kafkaBootstrapServers());
            TopicSink<Alert> alertSink = new TopicSink<>(client, new TopicSink.Settings(alerts, db, "alerts", 100,
                    Duration.ofMillis(200)), with(kafka, names.applicationId("alerts")),
                    ConfluentAvroSerde.of(Alert.class, registry, false).deserializer(), AuditRows::alert);
            TopicSink<ThrottleDecision> decisionSink = new TopicSink<>(client, new TopicSink.Settings(throttle, db,
                    "throttle_decisions", 100, Duration.ofMillis(200)), with(kafka, names.applicationId("decisions")),
                    ConfluentAvroSerde.of(ThrottleDecision.class, registry, false).deserializer(),
                    AuditRows::decision);
            Thread a = Thread.ofPlatform().start(alertSink);
            Thread d = Thread.ofPlatform().start(decisionSink);
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> count(client, "SELECT count() FROM " + db
                        + ".throttle_decisions") == 3 && count(client, "SELECT count() FROM " + db + ".alerts") == 1);
            } finally {
                alertSink.close();
                decisionSink.close();
                a.join(10_000);
                d.join(10_000);
            }
            assertThat(client.queryAll("SELECT action FROM " + db + ".throttle_decisions ORDER BY topic_offset")
                    .stream().map(r -> r.getString("action")).toList())
                    .containsExactly("DOWNGRADE", "BLOCK", "NONE");
            GenericRecord row = client.queryAll("SELECT kind, detail FROM " + db + ".alerts").getFirst();
            assertThat(row.getString("kind")).isEqualTo("UNPRICED_MODEL");
            assertThat(row.getString("detail")).contains("\"model\": \"gpt-9\"");
        }
    }

    @Test
    void shouldStoreEveryFieldOfAPricedEventAsItWasSent(Stack stack, TestNames names) throws Exception {
        String topic = names.topic("priced");
        String db = names.database();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        Instant at = Instant.parse("2026-11-22T10:15:30.123Z");
        // given: one event with every optional field set (non-ASCII text included), one with none of them
        UsageEvent full = UsageEvent.newBuilder().setEventId(UUID.fromString("00112233-4455-6677-8899-aabbccddeeff"))
                .setOccurredAt(at).setSource("gw-eu").setRequestId("req-7").setCustomerId("acme")
                .setUserId("u-é").setFeature("résumé").setTeam("ml").setSessionId("s-42").setProvider("anthropic")
                .setModel("claude-sonnet-4").setRequestedModel("claude-opus-4").setModelTier("medium")
                .setIntent("summarization").setInputTokens(1_200).setCachedInputTokens(300).setCacheWriteTokens(40)
                .setOutputTokens(500).setReasoningTokens(120).setLatencyMs(4_294_967_295L)
                .setStatus(UsageStatus.THROTTLED).setLabels(Map.of("env", "prod", "région", "eu-west-1")).build();
        UsageEvent bare = UsageEvent.newBuilder().setEventId(UUID.fromString("ffeeddcc-bbaa-9988-7766-554433221100"))
                .setOccurredAt(at).setSource("gw").setCustomerId("acme").setProvider("openai").setModel("gpt-9")
                .setInputTokens(1).setCachedInputTokens(0).setCacheWriteTokens(0).setOutputTokens(0)
                .setReasoningTokens(0).build();
        PricedUsage priced = PricedUsage.newBuilder().setEvent(full).setCost(CostBreakdown.newBuilder()
                        .setInputNanos(3_600_000).setCachedInputNanos(90_000).setCacheWriteNanos(150_000)
                        .setOutputNanos(7_500_000).setTotalNanos(11_340_000).build())
                .setUnpriced(false).setPriceEffectiveFrom(Instant.parse("2025-05-22T00:00:00Z"))
                .setPricedAt(at.plusMillis(40)).build();
        PricedUsage unpriced = PricedUsage.newBuilder().setEvent(bare).setCost(CostBreakdown.newBuilder()
                        .setInputNanos(0).setCachedInputNanos(0).setCacheWriteNanos(0).setOutputNanos(0)
                        .setTotalNanos(0).build())
                .setUnpriced(true).setPricedAt(at.plusMillis(41)).build();
        try (SchemaRegistryClient registry = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()));
             Client client = new Client.Builder().addEndpoint(stack.clickHouseUrl()).setUsername("default")
                     .setPassword("").compressClientRequest(true).compressionMethod(CompressionMethod.LZ4).build()) {
            new MigrationRunner(client, MigrationRunner.Settings.of(db)).migrate(Migrations.bundled());
            try (KafkaProducer<String, PricedUsage> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                    stack.kafkaBootstrapServers()), new StringSerializer(),
                    ConfluentAvroSerde.of(PricedUsage.class, registry, true).serializer())) {
                producer.send(new ProducerRecord<>(topic, full.getEventId().toString(), priced)).get();
                producer.send(new ProducerRecord<>(topic, bare.getEventId().toString(), unpriced)).get();
            }
            // when
            TopicSink<PricedUsage> sink = new TopicSink<>(client, new TopicSink.Settings(topic, db, "usage_events",
                    100, Duration.ofMillis(200)), with(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()),
                    names.applicationId("sink")), ConfluentAvroSerde.of(PricedUsage.class, registry, false)
                    .deserializer(), new UsageRows());
            Thread running = Thread.ofPlatform().start(sink);
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> sink.counts().rows().get() == 2);
            } finally {
                sink.close();
                running.join(10_000);
            }
            // then: each column holds what was sent, the absent ones '' or NULL as the table documents
            List<String> rows = client.queryAll("SELECT toString(tuple(* EXCEPT (labels))) AS r, "
                    + "toString(mapSort(labels)) AS l FROM " + db + ".usage_events ORDER BY unpriced").stream()
                    .map(r -> r.getString("r") + " " + r.getString("l")).toList();
            assertThat(rows).containsExactly(
                    "('00112233-4455-6677-8899-aabbccddeeff','2026-11-22 10:15:30.123','gw-eu','req-7','acme','u-é',"
                            + "'résumé','ml','s-42','anthropic','claude-sonnet-4','medium','claude-opus-4',"
                            + "'summarization','throttled',4294967295,1200,300,40,500,120,3600000,90000,150000,"
                            + "7500000,11340000,false,'2025-05-22 00:00:00.000','2026-11-22 10:15:30.163') "
                            + "{'env':'prod','région':'eu-west-1'}",
                    "('ffeeddcc-bbaa-9988-7766-554433221100','2026-11-22 10:15:30.123','gw','','acme','','','','',"
                            + "'openai','gpt-9','','','','ok',NULL,1,0,0,0,0,0,0,0,0,0,true,NULL,"
                            + "'2026-11-22 10:15:30.164') {}");
        }
    }

    private static Map<String, Object> with(Map<String, Object> kafka, String group) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put("group.id", group);
        return props;
    }

    private static long count(Client client, String sql) {
        List<GenericRecord> rows = client.queryAll(sql);
        return rows.getFirst().getLong(1);
    }
}
