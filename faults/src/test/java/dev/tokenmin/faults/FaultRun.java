package dev.tokenmin.faults;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.query.GenericRecord;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.clickhouse.migration.MigrationRunner;
import dev.tokenmin.clickhouse.migration.Migrations;
import dev.tokenmin.clickhouse.sink.TopicSink;
import dev.tokenmin.clickhouse.sink.UsageRows;
import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.localstack.junit.TestNames;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import dev.tokenmin.stream.budget.BudgetPublisher;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.kafka.TopicAdmin;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.pricing.PricePublisher;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * One fault scenario's pipeline on the real local stack: its own topics, application id and ClickHouse database;
 * stream app instances as child JVMs ({@link StreamAppProcess}), a supervisor that starts again any instance that
 * died on its own (as Kubernetes would), the ClickHouse sink of priced events (restarted the same way when it
 * crashes), and a producer that sends a {@link Workload} at a steady rate with retries and replays. {@link #verify}
 * then reads what each part holds: the app's state through its API, the throttle topic, and ClickHouse.
 */
final class FaultRun implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** One event in this many is sent twice, as a producer retry or a spool replay would. */
    private static final int REPLAY_EVERY = 50;

    final LocalStack stack;
    final TopicNames topics;
    final String applicationId;
    final String database;
    private final Path dir;
    private final String suffix;
    private final String name;
    private final Map<String, Object> kafka;
    private final SchemaRegistryClient registry;
    private final Client clickHouse;
    final List<StreamAppProcess> apps = new ArrayList<>();
    private final Object lifecycle = new Object();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Thread supervisor;
    private final Thread operator;
    private volatile HangingTransactionJanitor hanging;
    private final AtomicInteger unplannedRestarts = new AtomicInteger();

    private volatile TopicSink<PricedUsage> sink;
    private Thread sinkThread;
    private final AtomicInteger sinkStarts = new AtomicInteger();
    private final AtomicInteger sinkCrashesToInject = new AtomicInteger();

    FaultRun(LocalStack stack, TestNames names, Path dir, int partitions) throws Exception {
        this.stack = stack;
        this.dir = dir;
        this.name = names.toString();
        this.suffix = "." + names;
        this.topics = TopicNames.DEFAULT.withSuffix(suffix);
        this.applicationId = names.applicationId("tokenmin");
        this.database = names.database();
        this.kafka = Map.of("bootstrap.servers", stack.kafkaBootstrapServers());
        this.registry = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()));
        TopicAdmin.createMissing(kafka, topics, partitions);
        PricePublisher.publish(PriceCatalog.bundled(), topics.prices(), kafka, stack.schemaRegistryUrl());
        this.clickHouse = new Client.Builder().addEndpoint(stack.clickHouseUrl()).setUsername("default")
                .setPassword("").build();
        new MigrationRunner(clickHouse, MigrationRunner.Settings.of(database)).migrate(Migrations.bundled());
        this.supervisor = Thread.ofPlatform().name("fault-supervisor").daemon().start(this::supervise);
        this.operator = Thread.ofPlatform().name("fault-operator").daemon().start(this::abortHangingTransactions);
    }

    /**
     * Every 5 s, what an operator's {@code kafka-transactions.sh find-hanging} / {@code abort} would do for this
     * run's topics ({@link HangingTransactionJanitor}); each abort is printed and counted in the scenario's line.
     */
    private void abortHangingTransactions() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrapServers(), AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000))) {
            // This run's topics, internal ones (changelogs, repartition topics) included, carry its name.
            HangingTransactionJanitor hanging = new HangingTransactionJanitor(admin, t -> t.contains(name), 20_000,
                    this::keepPartitionFiles);
            this.hanging = hanging;
            String lastProblem = null;
            while (!closing.get()) {
                Thread.sleep(5_000);
                try {
                    for (String what : hanging.check(System.currentTimeMillis())) {
                        System.out.printf("[faults] operator: aborted a hanging transaction on %s%n", what);
                    }
                    lastProblem = null;
                } catch (ExecutionException | RuntimeException e) { // e.g. the broker away: look again later
                    String problem = String.valueOf(e.getCause() == null ? e : e.getCause());
                    if (!problem.equals(lastProblem)) { // once per kind, so a look that always fails shows
                        System.out.printf("[faults] operator: could not look for hanging transactions: %s%n",
                                problem);
                        lastProblem = problem;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            System.out.printf("[faults] operator: %s%n", e);
        }
    }

    /**
     * Copies a partition's folder (segments, indexes, producer snapshots) from the broker's data to
     * {@code target/fault-logs/<test>/hanging/}, where Kafka's {@code DumpLogSegments} can show its markers later.
     */
    private void keepPartitionFiles(TopicPartition tp) {
        Path from = stack.kafka().home().resolve("data").resolve(tp.topic() + "-" + tp.partition());
        Path to = Path.of("target", "fault-logs", name, "hanging", from.getFileName().toString());
        try (Stream<Path> files = Files.list(from)) {
            Files.createDirectories(to);
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.out.printf("[faults] operator: could not keep %s: %s%n", from, e);
        }
    }

    /** The hanging transactions aborted so far (see {@link HangingTransactionJanitor}). */
    List<String> abortedTransactions() {
        HangingTransactionJanitor h = hanging;
        return h == null ? List.of() : h.aborted();
    }

    /**
     * How often the broker's transaction coordinator skipped the markers of this run's partitions because it found no
     * leader for them at that moment (Kafka logs that they are "likely deleted already"). Each skip leaves a finished
     * transaction's records in those partitions without their marker, and the next marker there decides them: an
     * abort drops them even if they were committed (docs/faults.md). Read from the broker's log; -1 when it cannot be
     * read.
     */
    long markerSkipsByBroker() {
        Path log = stack.kafka().home().resolve("broker.log");
        try (Stream<String> lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
            return lines.filter(l -> l.contains("likely deleted already") && l.contains(name)).count();
        } catch (IOException e) {
            return -1;
        }
    }

    /** A new stream app instance (not started), with {@code extra} settings ({@code kafka.*} and so on). */
    StreamAppProcess app(Map<String, String> extra) {
        Map<String, String> settings = new LinkedHashMap<>(Map.of(
                StreamAppConfig.BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers(),
                StreamAppConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl(),
                StreamAppConfig.APPLICATION_ID, applicationId,
                StreamAppConfig.TOPICS_SUFFIX, suffix,
                // A crashed instance's tasks move within 10 s, not the default 45 s.
                "kafka.session.timeout.ms", "10000",
                "kafka.heartbeat.interval.ms", "2000",
                // An instance stuck in a rebalance stops after a minute (default five), for the supervisor to start
                // it again within the scenario's settle time.
                StreamAppConfig.STALL_TIMEOUT_SECONDS, "60"));
        settings.putAll(extra);
        StreamAppProcess app = new StreamAppProcess("stream-" + apps.size(), dir.resolve("stream-" + apps.size()),
                settings);
        synchronized (lifecycle) {
            apps.add(app);
        }
        return app;
    }

    /** Runs {@code change} (kill, stop, start, wipe ...) without the supervisor stepping in half-way. */
    void change(Runnable change) {
        synchronized (lifecycle) {
            change.run();
        }
    }

    /** Instances that died without being told to are started again within a second, as an orchestrator would. */
    private void supervise() {
        while (!closing.get()) {
            try {
                Thread.sleep(1_000);
                synchronized (lifecycle) {
                    for (StreamAppProcess app : apps) {
                        if (app.starts() > 0 && !app.isAlive() && !closing.get()) {
                            System.out.printf("[faults] %s exited on its own; starting it again%n", app);
                            unplannedRestarts.incrementAndGet();
                            app.start();
                        }
                    }
                }
                if (sinkThread != null && !sinkThread.isAlive() && !closing.get()) {
                    startSink();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                System.out.printf("[faults] supervisor: %s%n", e.getMessage().lines().findFirst().orElse(""));
            }
        }
    }

    /** Starts the ClickHouse sink of priced events; it is started again whenever it dies. */
    synchronized void startSink() {
        TopicSink<PricedUsage> s;
        try {
            s = new TopicSink<>(clickHouse, new TopicSink.Settings(topics.priced(), database, "usage_events", 10_000,
                    Duration.ofMillis(500)), Map.of("bootstrap.servers", stack.kafkaBootstrapServers(), "group.id",
                    applicationId + "-sink", "session.timeout.ms", 10_000),
                    ConfluentAvroSerde.of(PricedUsage.class, registry, false).deserializer(), new UsageRows());
        } catch (RuntimeException e) { // ClickHouse away: the supervisor tries again in a second
            if (sinkThread == null) {
                throw e;
            }
            return;
        }
        s.afterInsert(() -> {
            if (sinkCrashesToInject.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new SinkCrash();
            }
        });
        sink = s;
        sinkStarts.incrementAndGet();
        sinkThread = Thread.ofPlatform().name("fault-sink-" + sinkStarts.get()).start(() -> {
            try {
                s.run();
            } catch (SinkCrash e) {
                System.out.println("[faults] sink crashed between an insert and its offset commit");
            }
        });
    }

    /** The running sink dies right after its next insert, before committing its offsets. */
    void crashSinkAfterNextInsert() {
        sinkCrashesToInject.incrementAndGet();
    }

    int sinkStarts() {
        return sinkStarts.get();
    }

    long sinkRetries() {
        TopicSink<PricedUsage> s = sink;
        return s == null ? 0 : s.counts().retries().get();
    }

    private static final class SinkCrash extends RuntimeException {
        SinkCrash() {
            super("simulated crash between insert and commit", null, false, false);
        }
    }

    /** Starts {@code apps}, publishes the workload's budgets and starts the sink: the pipeline before the traffic. */
    void startPipeline(Workload workload, StreamAppProcess... apps) throws Exception {
        for (StreamAppProcess app : apps) {
            change(app::start);
        }
        putBudgets(workload);
        startSink();
    }

    /** Publishes the workload's budgets (the app picks them up from the budgets topic). */
    private void putBudgets(Workload workload) throws Exception {
        try (BudgetPublisher publisher = new BudgetPublisher(topics.budgets(), kafka,
                ConfluentAvroSerde.of(dev.tokenmin.avro.Budget.class, registry, true))) {
            publisher.put(workload.budgets);
        }
    }

    /** Sends the workload at {@code ratePerSecond} on a thread of its own; see {@link Production}. */
    Production produce(Workload workload, int ratePerSecond) {
        Production p = new Production(workload, ratePerSecond);
        p.thread.start();
        return p;
    }

    /**
     * The producer side: every distinct event once, one in {@value #REPLAY_EVERY} twice (a replay), failed sends
     * sent again until acknowledged; idempotent, {@code acks=all}.
     */
    final class Production {
        private final Workload workload;
        private final int rate;
        final AtomicLong sent = new AtomicLong();
        final AtomicLong acknowledged = new AtomicLong();
        final AtomicLong records = new AtomicLong();
        final AtomicLong resent = new AtomicLong();
        private final ConcurrentLinkedQueue<UsageEvent> failed = new ConcurrentLinkedQueue<>();
        private volatile Throwable error;
        final Thread thread;

        private Production(Workload workload, int rate) {
            this.workload = workload;
            this.rate = rate;
            this.thread = Thread.ofPlatform().name("fault-producer").unstarted(this::run);
        }

        private void run() {
            Map<String, Object> props = new HashMap<>(kafka);
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
            props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 300_000);
            Random random = new Random(7);
            try (KafkaProducer<String, UsageEvent> producer = new KafkaProducer<>(props, new StringSerializer(),
                    ConfluentAvroSerde.of(UsageEvent.class, registry, true).serializer())) {
                long start = System.nanoTime();
                List<UsageEvent> events = workload.events;
                for (int i = 0; i < events.size(); i++) {
                    long due = start + (long) (i * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 1_000_000) {
                        Thread.sleep(wait / 1_000_000);
                    }
                    send(producer, events.get(i));
                    sent.incrementAndGet();
                    if (i % REPLAY_EVERY == REPLAY_EVERY - 1) {
                        send(producer, events.get(random.nextInt(i)));
                    }
                    resendFailed(producer);
                }
                producer.flush();
                while (acknowledged.get() + failed.size() < records.get() - resent.get() || !failed.isEmpty()) {
                    resendFailed(producer);
                    producer.flush();
                    Thread.sleep(100);
                }
            } catch (Throwable e) {
                error = e;
            }
        }

        private void send(KafkaProducer<String, UsageEvent> producer, UsageEvent e) {
            records.incrementAndGet();
            producer.send(new ProducerRecord<>(topics.usage(), e.getEventId().toString(), e), (md, ex) -> {
                if (ex == null) {
                    acknowledged.incrementAndGet();
                } else {
                    failed.add(e);
                }
            });
        }

        private void resendFailed(KafkaProducer<String, UsageEvent> producer) {
            UsageEvent e;
            while ((e = failed.poll()) != null) {
                resent.incrementAndGet();
                send(producer, e);
            }
        }

        /** Waits until {@code n} distinct events were handed to the producer. */
        void awaitSent(long n) throws InterruptedException {
            while (sent.get() < n && thread.isAlive()) {
                Thread.sleep(20);
            }
        }

        /** Waits until every record was acknowledged; fails if the producer failed. */
        void awaitDone(Duration within) throws InterruptedException {
            thread.join(within.toMillis());
            if (thread.isAlive()) {
                throw new IllegalStateException("the producer did not finish within " + within + ": "
                        + acknowledged.get() + " of " + records.get() + " records acknowledged");
            }
            if (error != null) {
                throw new IllegalStateException("the producer failed", error);
            }
        }
    }

    /** What each part holds once the run has settled. */
    record Holdings(long inState, List<String> wrongScopes, long inClickHouse, long clickHouseRows,
                    long clickHouseCost, Map<String, List<ThrottleAction>> decisions) {
    }

    /**
     * Waits (up to {@code within}) until the app's global scope and ClickHouse have counted every distinct event, and
     * then until every scope's total and every budgeted scope's last decision are as expected (instances still
     * restoring or catching up after a rebalance get there late); then, two seconds on (anything counted twice late
     * would have landed), reads what each part holds.
     */
    Holdings settle(Workload workload, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        long distinct = workload.distinct();
        Workload.SpendKey global = workload.expected.keySet().stream().filter(k -> k.scope().equals("global"))
                .findFirst().orElseThrow();
        awaitCount(() -> requests(global), distinct, deadline);
        awaitCount(() -> count("SELECT uniqExact(event_id) FROM " + database + ".usage_events"), distinct, deadline);
        while (System.nanoTime() < deadline && !(wrongScopes(workload).isEmpty()
                && workload.finalActions.entrySet().stream().allMatch(e -> {
                    List<ThrottleAction> seen = decisions().get(e.getKey());
                    return seen != null && seen.getLast() == e.getValue();
                }))) {
            Thread.sleep(2_000);
        }
        Thread.sleep(2_000);
        long inState = requests(global);
        long inClickHouse = count("SELECT uniqExact(event_id) FROM " + database + ".usage_events");
        long rows = count("SELECT count() FROM " + database + ".usage_events");
        long cost = count("SELECT sum(total_cost_nanos) FROM " + database + ".usage_events");
        return new Holdings(inState, wrongScopes(workload), inClickHouse, rows, cost, decisions());
    }

    /** Scopes whose total through the app's API differs from the workload's, each with both figures. */
    private List<String> wrongScopes(Workload workload) {
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<Workload.SpendKey, Workload.Totals> e : workload.expected.entrySet()) {
            JsonNode body = spend(e.getKey(), 1);
            Workload.Totals t = e.getValue();
            if (body == null || body.get("requests").asLong() != t.requests
                    || body.get("cost_nanos").asLong() != t.costNanos) {
                wrong.add(e.getKey().scope() + " " + e.getKey().window() + ": expected " + t + ", was "
                        + (body == null ? "no answer" : body.get("requests") + " requests, " + body.get("cost_nanos")
                        + " nano-USD"));
            }
        }
        return wrong;
    }

    private static long awaitCount(LongSupplier count, long target, long deadline) throws InterruptedException {
        long n = -1;
        while (System.nanoTime() < deadline) {
            n = count.getAsLong();
            if (n >= target) {
                return n;
            }
            Thread.sleep(500);
        }
        return n;
    }

    private long requests(Workload.SpendKey key) {
        JsonNode body = spend(key, 20);
        return body == null ? -1 : body.get("requests").asLong();
    }

    /**
     * A scope's total through any running instance's API (it forwards to the owner), or null when none answered
     * 200 (503 while the owner restores or ownership moves) in {@code attempts} rounds half a second apart.
     */
    private JsonNode spend(Workload.SpendKey key, int attempts) {
        String q = "/v1/spend?scope=" + URLEncoder.encode(key.scope(), StandardCharsets.UTF_8) + "&window="
                + key.window() + "&at=" + key.at();
        for (int attempt = 0; attempt < attempts; attempt++) {
            for (StreamAppProcess app : List.copyOf(apps)) {
                if (!app.isAlive()) {
                    continue;
                }
                HttpResponse<String> r = app.get(q);
                if (r != null && r.statusCode() == 200) {
                    try {
                        return JSON.readTree(r.body());
                    } catch (IOException e) {
                        throw new IllegalStateException("unreadable answer to " + q + ": " + r.body(), e);
                    }
                }
            }
            if (attempt + 1 < attempts) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
        }
        return null;
    }

    private long count(String sql) {
        try {
            List<GenericRecord> rows = clickHouse.queryAll(sql);
            return rows.isEmpty() ? 0 : rows.getFirst().getLong(1);
        } catch (RuntimeException e) {
            return -1; // ClickHouse away: not counted yet
        }
    }

    /** Every committed decision on the throttle topic, in order per scope (tombstones as NONE). */
    private Map<String, List<ThrottleAction>> decisions() {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, List<ThrottleAction>> byScope = new HashMap<>();
        try (KafkaConsumer<String, ThrottleDecision> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                ConfluentAvroSerde.of(ThrottleDecision.class, registry, false).deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.throttle()).stream()
                    .map(p -> new TopicPartition(topics.throttle(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))
                    && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, ThrottleDecision> r : consumer.poll(Duration.ofMillis(200))) {
                    byScope.computeIfAbsent(r.key(), k -> new ArrayList<>())
                            .add(r.value() == null ? ThrottleAction.NONE : r.value().getAction());
                }
            }
        }
        return byScope;
    }

    /**
     * The instances' logs, the thread dumps of any that stalled and the broker's log outlive the test's temporary
     * folder: {@code target/fault-logs/<test>/}.
     */
    private void keepLogs() {
        Path kept = Path.of("target", "fault-logs", name);
        try {
            Files.createDirectories(kept);
            for (StreamAppProcess app : apps) {
                if (Files.exists(app.log())) {
                    Files.copy(app.log(), kept.resolve(app + ".log"), StandardCopyOption.REPLACE_EXISTING);
                }
                for (Path dump : app.diagnostics()) {
                    Files.copy(dump, kept.resolve(app + "-" + dump.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            // The broker's log (the whole suite's so far, Kafka's INFO lines): restarts, transaction coordinator.
            if (Files.exists(stack.kafka().log())) {
                Files.copy(stack.kafka().log(), kept.resolve("broker.log"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.out.printf("[faults] could not keep the logs in %s: %s%n", kept, e);
        }
    }

    int unplannedRestarts() {
        return unplannedRestarts.get();
    }

    @Override
    public void close() {
        closing.set(true);
        supervisor.interrupt();
        operator.interrupt();
        synchronized (lifecycle) {
            apps.forEach(StreamAppProcess::close);
            keepLogs();
        }
        TopicSink<PricedUsage> s = sink;
        if (s != null) {
            s.close();
        }
        try {
            supervisor.join(5_000);
            if (sinkThread != null) {
                sinkThread.join(30_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        clickHouse.close();
        registry.close();
    }
}
