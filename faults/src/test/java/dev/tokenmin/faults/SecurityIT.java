package dev.tokenmin.faults;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.query.GenericRecord;
import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.clickhouse.migration.MigrationRunner;
import dev.tokenmin.clickhouse.migration.Migrations;
import dev.tokenmin.clickhouse.sink.TopicSink;
import dev.tokenmin.clickhouse.sink.UsageRows;
import dev.tokenmin.ingest.sidecar.SidecarConfig;
import dev.tokenmin.ingest.sidecar.SidecarServer;
import dev.tokenmin.localstack.BuildInfo;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import dev.tokenmin.localstack.kafka.BrokerSecurity;
import dev.tokenmin.localstack.kafka.KafkaBroker;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import dev.tokenmin.stream.app.StreamApp;
import dev.tokenmin.stream.budget.BudgetDocuments;
import dev.tokenmin.stream.budget.BudgetPublisher;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.kafka.TopicAdmin;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.pricing.PricePublisher;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * The pipeline on a secured broker: SASL_SSL with SCRAM-SHA-512 and ACLs, certificates made by this test. The agent
 * (sidecar), the stream app and the ClickHouse sink each run as their own principal with only the ACLs they need,
 * and the whole path still works end to end (events priced and sunk, a budget's BLOCK back at the sidecar); the
 * agent can neither read the usage topic nor write the throttle topic; the stream app cannot write usage or create
 * topics outside its prefix; plaintext and a wrong password are refused; the sidecar refuses requests without a
 * valid token; and a canary sent in a label that is not on the allow-list appears in no record of any topic (the
 * dead-letter topic and the app's internal topics included) and in no ClickHouse table.
 */
@ExtendWith(LocalStackExtension.class)
class SecurityIT {

    private static final String GATEWAY_TOKEN = "security-it-token-0123456789abcdefghij";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final int EVENTS = 200;

    @Test
    void shouldKeepEachPrincipalToItsOwnTopicsAndLeakNoLabelOffTheAllowList(Stack stack, TestNames names,
                                                                           @TempDir Path dir) throws Exception {
        String canary = "canary-" + UUID.randomUUID();
        BrokerSecurity security = BrokerSecurity.generate(dir.resolve("tls"));
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), BuildInfo.load(), Duration.ofMinutes(2),
                security)) {
            String bootstrap = broker.bootstrapServers();
            Map<String, Object> admin = client(bootstrap, security.adminClient());
            TopicNames topics = TopicNames.DEFAULT.withSuffix("." + names);
            String appId = names.applicationId("tokenmin");
            String sinkGroup = names.applicationId("sink");
            Map<String, String> secrets = Map.of("agent", secret(), "stream", secret(), "sink", secret());
            try (Admin a = Admin.create(admin)) {
                TopicAdmin.createMissing(admin, topics, 2);
                a.alterUserScramCredentials(secrets.entrySet().stream()
                        .<UserScramCredentialAlteration>map(e -> new UserScramCredentialUpsertion(e.getKey(),
                                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), e.getValue()))
                        .toList()).all().get(30, TimeUnit.SECONDS);
                a.createAcls(acls(topics, appId, sinkGroup)).all().get(30, TimeUnit.SECONDS);
            }
            Map<String, Object> agent = client(bootstrap, security.client("agent", secrets.get("agent")));
            Map<String, Object> streamPrincipal = client(bootstrap, security.client("stream", secrets.get("stream")));
            Map<String, Object> sinkPrincipal = client(bootstrap, security.client("sink", secrets.get("sink")));

            // Operator (admin) publishes prices and a 0.01 USD hard budget that this traffic crosses.
            PricePublisher.publish(PriceCatalog.bundled(), topics.prices(), admin, stack.schemaRegistryUrl());
            try (SchemaRegistryClient registry = new SchemaRegistryClient(
                    SchemaRegistryConfig.of(stack.schemaRegistryUrl()));
                 BudgetPublisher budgets = new BudgetPublisher(topics.budgets(), admin,
                         ConfluentAvroSerde.of(Budget.class, registry, true))) {
                budgets.put(BudgetDocuments.parseFile("""
                        {"budget_id": "secure-acme", "scope": "customer:acme", "period": "month",
                         "limit_usd": "0.01", "hard": true, "ladder": [{"threshold_percent": 100, "action": "block"}]}
                        """, Instant.now()));
            }

            Map<String, String> appProps = new HashMap<>(Map.of(
                    StreamAppConfig.BOOTSTRAP_SERVERS, bootstrap,
                    StreamAppConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl(),
                    StreamAppConfig.APPLICATION_ID, appId,
                    StreamAppConfig.STATE_DIR, dir.resolve("state").toString(),
                    StreamAppConfig.HTTP_PORT, "0"));
            security.client("stream", secrets.get("stream"))
                    .forEach((k, v) -> appProps.put("kafka." + k, v.toString()));
            Path tokens = dir.resolve("tokens.properties");
            Files.writeString(tokens, "gw-secure=" + GATEWAY_TOKEN + "\n");
            Map<String, String> sidecarProps = new HashMap<>(Map.of(
                    "bootstrap.servers", bootstrap,
                    "schema.registry.url", stack.schemaRegistryUrl(),
                    "topic", topics.usage(),
                    "throttle.topic", topics.throttle(),
                    "spool.dir", dir.resolve("spool").toString(),
                    "sidecar.port", "0",
                    "sidecar.tokens.file", tokens.toString(),
                    "privacy.labels.allowed", "env"));
            security.client("agent", secrets.get("agent")).forEach((k, v) -> sidecarProps.put("kafka." + k,
                    v.toString()));

            try (StreamApp app = StreamApp.start(StreamAppConfig.fromProperties(appProps).withTopics(topics));
                 SidecarServer sidecar = SidecarServer.start(SidecarConfig.fromProperties(sidecarProps))) {
                assertThat(app.awaitRunning(Duration.ofMinutes(2))).as("the stream app runs as its own principal")
                        .isTrue();

                // The sidecar refuses requests without a valid token, and takes them with one.
                List<String> events = new ArrayList<>();
                for (int i = 0; i < EVENTS; i++) {
                    events.add("""
                            {"event_id": "%s", "customer_id": "acme", "user_id": "u%d", "feature": "chat",
                             "provider": "openai", "model": "gpt-4.1", "input_tokens": 2000, "output_tokens": 500,
                             "labels": {"env": "prod", "prompt_note": "%s"}}""".formatted(UUID.randomUUID(), i % 7,
                            canary));
                }
                String body = "[" + String.join(",", events) + "]";
                assertThat(post(sidecar.uri(), body, null).statusCode()).as("no token").isEqualTo(401);
                assertThat(post(sidecar.uri(), body, "wrong-token-0123456789abcdefghijklmnop").statusCode())
                        .as("a wrong token").isEqualTo(401);
                HttpResponse<String> accepted = post(sidecar.uri(), body, GATEWAY_TOKEN);
                assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);

                // End to end under least privilege: the budget's BLOCK reaches the sidecar's decision endpoint.
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> {
                    HttpResponse<String> d = get(sidecar.uri(), "/v1/decisions?customer=acme", GATEWAY_TOKEN);
                    return d.statusCode() == 200 && d.body().contains("BLOCK");
                });

                // ClickHouse, through the sink running as its own principal, holds every event.
                String db = names.database();
                try (Client clickHouse = new Client.Builder().addEndpoint(stack.clickHouseUrl())
                        .setUsername("default").setPassword("").build();
                     SchemaRegistryClient registry = new SchemaRegistryClient(
                             SchemaRegistryConfig.of(stack.schemaRegistryUrl()))) {
                    new MigrationRunner(clickHouse, MigrationRunner.Settings.of(db)).migrate(Migrations.bundled());
                    Map<String, Object> sinkKafka = new HashMap<>(sinkPrincipal);
                    sinkKafka.put("group.id", sinkGroup);
                    TopicSink<PricedUsage> sink = new TopicSink<>(clickHouse, new TopicSink.Settings(topics.priced(),
                            db, "usage_events", 1_000, Duration.ofMillis(200)), sinkKafka,
                            ConfluentAvroSerde.of(PricedUsage.class, registry, false).deserializer(), new UsageRows());
                    Thread running = Thread.ofPlatform().start(sink);
                    try {
                        await().atMost(Duration.ofMinutes(1)).until(() -> sink.counts().rows().get() >= EVENTS);
                    } finally {
                        sink.close();
                        running.join(30_000);
                    }
                    assertThat(count(clickHouse, "SELECT count() FROM " + db + ".usage_events WHERE labels['env'] = "
                            + "'prod'")).as("the allowed label arrived (so the canary check below can fail)")
                            .isEqualTo(EVENTS);
                    List<String> leaks = new ArrayList<>();
                    for (GenericRecord t : clickHouse.queryAll("SELECT name FROM system.tables WHERE database = '"
                            + db + "' AND engine NOT LIKE '%View'")) {
                        String table = db + "." + t.getString("name");
                        if (count(clickHouse, "SELECT count() FROM " + table + " WHERE position(toString(tuple(*)), '"
                                + canary + "') > 0") > 0) {
                            leaks.add(table);
                        }
                    }
                    assertThat(leaks).as("ClickHouse tables holding the canary").isEmpty();
                }

                // The agent can neither read usage nor write decisions; the app cannot write usage or step outside
                // its prefix.
                refused("agent reads usage", TopicAuthorizationException.class,
                        () -> readAll(agent, topics.usage(), 1));
                refused("agent writes throttle", TopicAuthorizationException.class,
                        () -> write(agent, topics.throttle()));
                refused("stream app writes usage", TopicAuthorizationException.class,
                        () -> write(streamPrincipal, topics.usage()));
                try (Admin a = Admin.create(streamPrincipal)) {
                    refused("stream app creates a topic outside its prefix", TopicAuthorizationException.class,
                            () -> a.createTopics(List.of(new NewTopic("not-" + appId, 1, (short) 1))).all()
                                    .get(30, TimeUnit.SECONDS));
                }
                refused("sink reads throttle", TopicAuthorizationException.class,
                        () -> readAll(sinkPrincipal, topics.throttle(), 1));

                // Plaintext is refused (the client never gets an answer); so is a wrong password.
                try (Admin plain = Admin.create(Map.of("bootstrap.servers", bootstrap, "request.timeout.ms", 3_000,
                        "default.api.timeout.ms", 5_000))) {
                    refused("a plaintext client", ExecutionException.class,
                            () -> plain.describeCluster().nodes().get(10, TimeUnit.SECONDS));
                }
                try (Admin wrong = Admin.create(client(bootstrap, security.client("agent", "not-the-password")))) {
                    refused("a wrong password", SaslAuthenticationException.class,
                            () -> wrong.describeCluster().nodes().get(30, TimeUnit.SECONDS));
                }

                // The canary is in no record of any topic: usage, priced, dead letters, internal topics, all.
                List<String> leaks = new ArrayList<>();
                byte[] needle = canary.getBytes(StandardCharsets.UTF_8);
                Set<String> all;
                try (Admin a = Admin.create(admin)) {
                    all = a.listTopics().names().get(30, TimeUnit.SECONDS);
                }
                int scanned = 0;
                for (String topic : all) {
                    for (ConsumerRecord<byte[], byte[]> r : readAll(admin, topic, 0)) {
                        scanned++;
                        boolean inHeaders = false;
                        for (Header h : r.headers()) {
                            inHeaders |= contains(h.value(), needle);
                        }
                        if (contains(r.key(), needle) || contains(r.value(), needle) || inHeaders) {
                            leaks.add(topic + "@" + r.partition() + ":" + r.offset());
                        }
                    }
                }
                assertThat(scanned).as("records scanned").isGreaterThan(EVENTS * 2);
                assertThat(leaks).as("records holding the canary").isEmpty();
                System.out.printf("[SecurityIT] %d topics, %,d records scanned, no canary; agent, stream app and sink "
                        + "each confined to their ACLs; plaintext and a wrong password refused%n", all.size(), scanned);
            }
        }
    }

    /** {@code action} fails with a {@code type} exception, thrown as is or as the cause of another. */
    private static void refused(String what, Class<? extends Throwable> type, ThrowingCallable action) {
        Throwable thrown = catchThrowable(action);
        assertThat(thrown).as(what + ": refused").isNotNull();
        Throwable t = thrown;
        while (t != null && !type.isInstance(t)) {
            t = t.getCause();
        }
        assertThat(t).as(what + ": refused with " + type.getSimpleName() + ", was " + thrown).isNotNull();
    }

    /** The ACLs of each principal: those of k8s/base/kafka/users.yaml, for this test's topics and ids. */
    private static List<AclBinding> acls(TopicNames topics, String appId, String sinkGroup) {
        List<AclBinding> acls = new ArrayList<>();
        allow(acls, "agent", ResourceType.TOPIC, topics.usage(), PatternType.LITERAL, AclOperation.WRITE);
        allow(acls, "agent", ResourceType.TOPIC, topics.throttle(), PatternType.LITERAL, AclOperation.READ);
        for (String in : List.of(topics.usage(), topics.prices(), topics.budgets())) {
            allow(acls, "stream", ResourceType.TOPIC, in, PatternType.LITERAL, AclOperation.READ);
        }
        // The budgets API writes budget changes; the rest are the app's outputs.
        for (String out : List.of(topics.priced(), topics.spend(), topics.alerts(), topics.throttle(),
                topics.deadLetters(), topics.budgets())) {
            allow(acls, "stream", ResourceType.TOPIC, out, PatternType.LITERAL, AclOperation.WRITE);
        }
        // Internal topics under the application id, with the operations k8s/base/kafka/users.yaml grants.
        for (AclOperation op : List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DELETE,
                AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS)) {
            allow(acls, "stream", ResourceType.TOPIC, appId, PatternType.PREFIXED, op);
        }
        allow(acls, "stream", ResourceType.GROUP, appId, PatternType.PREFIXED, AclOperation.READ);
        allow(acls, "stream", ResourceType.TRANSACTIONAL_ID, appId, PatternType.PREFIXED, AclOperation.WRITE);
        allow(acls, "stream", ResourceType.TRANSACTIONAL_ID, appId, PatternType.PREFIXED, AclOperation.DESCRIBE);
        allow(acls, "sink", ResourceType.TOPIC, topics.priced(), PatternType.LITERAL, AclOperation.READ);
        allow(acls, "sink", ResourceType.GROUP, sinkGroup, PatternType.LITERAL, AclOperation.READ);
        return acls;
    }

    private static void allow(List<AclBinding> acls, String user, ResourceType type, String name, PatternType pattern,
                              AclOperation operation) {
        acls.add(new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry("User:" + user, "*", operation, AclPermissionType.ALLOW)));
    }

    private static Map<String, Object> client(String bootstrap, Map<String, Object> security) {
        Map<String, Object> props = new HashMap<>(security);
        props.put("bootstrap.servers", bootstrap);
        return props;
    }

    /** Every record of {@code topic}, uncommitted ones included (aborted transactions hold data too). */
    private static List<ConsumerRecord<byte[], byte[]>> readAll(Map<String, Object> kafka, String topic, int atLeast)
            throws Exception {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put("isolation.level", "read_uncommitted");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while ((records.size() < atLeast || partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)))
                    && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    private static void write(Map<String, Object> kafka, String topic) throws Exception {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put("max.block.ms", 30_000);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "k".getBytes(StandardCharsets.UTF_8),
                    "v".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        if (haystack == null) {
            return false;
        }
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static long count(Client client, String sql) {
        List<GenericRecord> rows = client.queryAll(sql);
        return rows.isEmpty() ? 0 : rows.getFirst().getLong(1);
    }

    private static HttpResponse<String> post(URI base, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/v1/usage")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(URI base, String pathQuery, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(pathQuery)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String secret() {
        return UUID.randomUUID().toString();
    }
}
