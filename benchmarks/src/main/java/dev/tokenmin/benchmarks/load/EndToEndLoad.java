package dev.tokenmin.benchmarks.load;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.query.GenericRecord;
import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.BudgetPeriod;
import dev.tokenmin.avro.LadderStep;
import dev.tokenmin.avro.LimitUnit;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.clickhouse.migration.MigrationRunner;
import dev.tokenmin.clickhouse.migration.Migrations;
import dev.tokenmin.clickhouse.sink.Sinks;
import dev.tokenmin.ingest.emit.EmitterConfig;
import dev.tokenmin.ingest.emit.UsageEmitter;
import dev.tokenmin.ingest.throttle.ThrottleView;
import dev.tokenmin.localstack.Folders;
import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import dev.tokenmin.stream.app.StreamApp;
import dev.tokenmin.stream.budget.BudgetPublisher;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.kafka.TopicAdmin;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.pricing.PricePublisher;
import dev.tokenmin.stream.topology.MeteringCounters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The whole pipeline on the real local stack, in this JVM: the SDK ({@link UsageEmitter}, durable spool) emits at a
 * fixed rate → Kafka → the stream app (exactly-once) → the ClickHouse sinks. Rates rise step by step; a step is
 * sustained when, at its end, the stream app is within two seconds of what Kafka acknowledged and ClickHouse within
 * five seconds of what was priced. Then the event → throttle decision latency: users with a 1 USD hard budget,
 * each crossed by one event while background traffic runs at a given rate, timed from {@code emit()} to the
 * decision's arrival at the agent's throttle view. Last, the resident memory of every process. Each step also prints
 * where the CPU went ({@link CpuSplit}: per process, and per group of threads in this JVM) and how the stream thread
 * spent its time ({@link StreamThreadTime}).
 */
@Command(name = "e2e", mixinStandardHelpOptions = true,
        description = "End to end: SDK -> Kafka -> stream app -> ClickHouse at rising rates; decision latency.")
final class EndToEndLoad implements Callable<Integer> {

    @Option(names = "--rates", split = ",", defaultValue = "500,1000,2000,4000,8000,16000,25000",
            description = "Offered events/s, one step each, stopping after the first not sustained "
                    + "(default: ${DEFAULT-VALUE}).")
    private List<Integer> rates;

    @Option(names = "--step-seconds", defaultValue = "30",
            description = "Seconds per step (default: ${DEFAULT-VALUE}).")
    private int stepSeconds;

    @Option(names = "--warmup-seconds", defaultValue = "30",
            description = "Seconds of load at the first rate before the steps, not reported: the JIT compilers of "
                    + "this JVM and the broker's are busy for about that long (default: ${DEFAULT-VALUE}).")
    private int warmupSeconds;

    @Option(names = "--latency-rates", split = ",", defaultValue = "5000",
            description = "Background events/s during the decision latency probe, one probe each; 0 probes at the "
                    + "highest sustained rate (default: ${DEFAULT-VALUE}).")
    private List<Integer> latencyRates;

    @Option(names = "--crossings", defaultValue = "300", description = "Budgets crossed per probe, 20 ms apart "
            + "(default: ${DEFAULT-VALUE}).")
    private int crossings;

    @Option(names = "--partitions", defaultValue = "4",
            description = "Partitions per topic (default: ${DEFAULT-VALUE}).")
    private int partitions;

    @Option(names = "--sink-batch-ms", description = "How long a sink's batch per partition may wait for more rows "
            + "before it is inserted (default: the sink's, 2000).")
    private long sinkBatchMs = Sinks.Target.DEFAULT_MAX_AGE.toMillis();

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A stream app setting, e.g. "
            + "--set kafka.commit.interval.ms=200.")
    private Map<String, String> overrides = new HashMap<>();

    @Option(names = "--agent-set", paramLabel = "KEY=VALUE", description = "An ingest agent setting (SDK and "
            + "throttle view), e.g. --agent-set kafka.linger.ms=1.")
    private Map<String, String> agentOverrides = new HashMap<>();

    /** What one step measured. */
    private record Step(int rate, double offered, double acknowledged, double priced, double counted,
                        double inClickHouse, long streamLag, long sinkLag, boolean sustained, double drainSeconds,
                        String cpu) {
    }

    private final HttpClient http = HttpClient.newHttpClient();
    private LocalStack stack;
    private UsageEmitter emitter;
    private Sinks sinks;
    private URI globalSpend;
    private Client clickHouse;
    private CpuSplit cpu;

    @Override
    public Integer call() throws Exception {
        pricedBefore = MeteringCounters.PRICED.get() + MeteringCounters.UNPRICED.get();
        Path dir = Files.createTempDirectory("tokenmin-e2e-load");
        try (LocalStack started = Harness.startStack();
             SchemaRegistryClient registry = new SchemaRegistryClient(
                     SchemaRegistryConfig.of(started.schemaRegistryUrl()));
             Client clickHouse = new Client.Builder().addEndpoint(started.clickHouseUrl()).setUsername("default")
                     .setPassword("").build()) {
            stack = started;
            this.clickHouse = clickHouse;
            cpu = new CpuSplit(started.services());
            TopicNames topics = TopicNames.DEFAULT.withSuffix(".e2e");
            Map<String, Object> kafka = Map.of("bootstrap.servers", stack.kafkaBootstrapServers());
            TopicAdmin.createMissing(kafka, topics, partitions);
            PricePublisher.publish(PriceCatalog.bundled(), topics.prices(), kafka, stack.schemaRegistryUrl());
            new MigrationRunner(clickHouse, MigrationRunner.Settings.of("e2e")).migrate(Migrations.bundled());

            Map<String, String> props = new HashMap<>(Map.of(
                    StreamAppConfig.BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers(),
                    StreamAppConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl(),
                    StreamAppConfig.STATE_DIR, dir.resolve("state").toString(), StreamAppConfig.HTTP_PORT, "0"));
            props.putAll(overrides);
            StreamAppConfig config = StreamAppConfig.fromProperties(props).withTopics(topics);
            Map<String, String> agentProps = new HashMap<>(Map.of(
                    EmitterConfig.BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers(),
                    EmitterConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl(),
                    EmitterConfig.TOPIC, topics.usage(), EmitterConfig.THROTTLE_TOPIC, topics.throttle(),
                    EmitterConfig.SPOOL_DIR, dir.resolve("spool").toString()));
            agentProps.putAll(agentOverrides);
            EmitterConfig agent = EmitterConfig.fromProperties(agentProps);
            try (StreamApp app = StreamApp.start(config);
                 Sinks copies = Sinks.start(clickHouse, registry, kafka, new Sinks.SourceTopics(topics.priced(),
                         topics.alerts(), topics.throttle(), topics.prices()), new Sinks.Target("e2e", "",
                         "tokenmin-e2e-sink", Sinks.Target.DEFAULT_MAX_ROWS, Duration.ofMillis(sinkBatchMs)));
                 UsageEmitter sdk = UsageEmitter.start(agent);
                 ThrottleView view = ThrottleView.start(agent)) {
                sinks = copies;
                emitter = sdk;
                globalSpend = app.uri().resolve("/v1/spend?scope=global&window=month");
                if (!app.awaitRunning(Duration.ofMinutes(2)) || !view.awaitReady(Duration.ofMinutes(1))) {
                    System.out.println("the stream app or the throttle view did not start");
                    return 1;
                }
                System.out.printf("end to end: SDK (%s) -> Kafka (%d partitions) -> stream app (exactly-once, %s) "
                        + "-> ClickHouse (batches of up to %,d ms per partition); %d s per step%n",
                        agentOverrides.isEmpty() ? "defaults" : agentOverrides, partitions,
                        overrides.isEmpty() ? "defaults" : overrides, sinkBatchMs, stepSeconds);
                if (warmupSeconds > 0) {
                    background(rates.getFirst(), new AtomicBoolean(), Duration.ofSeconds(warmupSeconds)).join();
                    drain(Duration.ofMinutes(5));
                    System.out.printf("  (warm-up: %d s at %,d/s, not reported)%n", warmupSeconds, rates.getFirst());
                }
                int sustained = 0;
                for (int rate : rates) {
                    Step step = step(app, rate);
                    System.out.printf("  %,6d/s offered: SDK %,.0f/s, Kafka %,.0f/s, priced %,.0f/s, counted %,.0f/s, "
                                    + "ClickHouse %,.0f/s; lag at the end: stream %,d, sink %,d -> %s (drained in "
                                    + "%.1f s)%n", rate, step.offered(), step.acknowledged(), step.priced(),
                            step.counted(), step.inClickHouse(), step.streamLag(), step.sinkLag(),
                            step.sustained() ? "sustained" : "NOT sustained", step.drainSeconds());
                    System.out.print(step.cpu());
                    if (!step.sustained()) {
                        break;
                    }
                    sustained = rate;
                }
                int highest = sustained;
                double ceiling = Results.bestCeiling();
                System.out.printf("highest rate sustained: %,d events/s%s%n", highest, ceiling == 0 ? ""
                        : String.format(" (%.2f%% of the raw producer ceiling, %,.0f records/s)",
                                100 * highest / ceiling, ceiling));
                Results.record("end to end, SDK -> Kafka -> stream app -> ClickHouse, sustained", "≥ 25,000 events/s",
                        String.format("%,d events/s%s", highest, ceiling == 0 ? "" : String.format(
                                " (%.2f%% of the ceiling)", 100 * highest / ceiling)), highest >= 25_000);
                printMemory(dir.resolve("state"));
                List<Integer> probes = latencyRates.stream().map(r -> r == 0 ? highest : r).distinct().toList();
                for (int i = 0; i < probes.size(); i++) {
                    latency(app, view, topics, kafka, registry, probes.get(i), "p" + i);
                }
            }
        } finally {
            Folders.deleteQuietly(dir);
        }
        return 0;
    }

    private static final Pattern REQUESTS = Pattern.compile("\"requests\":(\\d+)");

    /** The JVM's priced-event counters when this run began (see {@link #priced()}). */
    private long pricedBefore;

    /**
     * Events priced by this run's app. The counters are the JVM's, and the suite runs other harnesses that price
     * (the floor, the stream app) in the same JVM first: counted from where they stood when this run began, so the
     * drain's comparison with the sink's rows holds.
     */
    private long priced() {
        return MeteringCounters.PRICED.get() + MeteringCounters.UNPRICED.get() - pricedBefore;
    }

    /**
     * Events the stream app has counted to the end: in the {@code global} scope this month, which every event
     * reaches after the by-scope repartition (pricing alone is the first of three stages).
     */
    private long counted() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(globalSpend).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher m = REQUESTS.matcher(r.body());
        return r.statusCode() == 200 && m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Offers {@code rate} events/s for the step's seconds, then waits until everything is counted and stored. */
    private Step step(StreamApp app, int rate) throws IOException, InterruptedException {
        long spooled0 = emitter.metrics().spooled();
        long sent0 = emitter.metrics().sent();
        long priced0 = priced();
        long counted0 = counted();
        long rows0 = sinks.usageRows();
        Map<String, Long> cpu0 = cpu.snapshot();
        StreamThreadTime threadTime = new StreamThreadTime(app.streams());
        long start = System.nanoTime();
        Thread load = background(rate, new AtomicBoolean(), Duration.ofSeconds(stepSeconds));
        while (!load.join(Duration.ofSeconds(1))) {
            threadTime.sample();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long spooled = emitter.metrics().spooled() - spooled0;
        String cpuUsed = cpu.since(cpu0, seconds, spooled) + threadTime.summary() + threadTime.sourceLatencies();
        long sent = emitter.metrics().sent() - sent0;
        long priced = priced() - priced0;
        long counted = counted() - counted0;
        long rows = sinks.usageRows() - rows0;
        long streamLag = sent - counted;
        long sinkLag = priced - rows;
        boolean sustained = spooled >= rate * (long) stepSeconds * 95 / 100 && streamLag <= 2L * rate
                && sinkLag <= 5L * rate;
        long drainStart = System.nanoTime();
        drain(Duration.ofMinutes(5));
        return new Step(rate, spooled / seconds, sent / seconds, priced / seconds, counted / seconds,
                rows / seconds, streamLag, sinkLag, sustained, (System.nanoTime() - drainStart) / 1e9, cpuUsed);
    }

    /** Waits until Kafka has every spooled event, the stream app has counted it and the sinks have stored it. */
    private void drain(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            long sent = emitter.metrics().sent();
            if (sent >= emitter.metrics().spooled() && counted() >= sent && sinks.usageRows() >= priced()) {
                return;
            }
            Thread.sleep(100); // polling the pipeline's counters
        }
    }

    /**
     * A thread emitting {@code rate} events/s for {@code duration} (or until {@code stop}), in 10 ms ticks, each
     * tick catching up to where the schedule says the count should be, so a slow tick does not lower the rate.
     */
    private Thread background(int rate, AtomicBoolean stop, Duration duration) {
        return Thread.ofPlatform().name("load-" + rate).start(() -> {
            SplittableRandom random = new SplittableRandom(rate);
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            long emitted = 0;
            List<UsageEvent> batch = new ArrayList<>();
            while (!stop.get() && System.nanoTime() < end) {
                long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
                batch.clear();
                for (; emitted < due; emitted++) {
                    batch.add(Events.event(random));
                }
                if (!batch.isEmpty()) {
                    emitter.emitAll(batch);
                }
                try {
                    Thread.sleep(10); // the tick: paces the offered rate
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        });
    }

    /**
     * {@code crossings} users with a 1 USD monthly hard budget, each crossed by one 1 USD event, 20 ms apart, while
     * background traffic runs at {@code rate}: from {@code emit()} to the BLOCK decision at the throttle view.
     */
    private void latency(StreamApp app, ThrottleView view, TopicNames topics, Map<String, Object> kafka,
                         SchemaRegistryClient registry, int rate, String probe) throws Exception {
        String customer = "lat-" + probe;
        List<Budget> budgets = new ArrayList<>();
        for (int i = 0; i < crossings; i++) {
            budgets.add(Budget.newBuilder().setBudgetId("b-" + customer + "-" + i)
                    .setScope("customer:" + customer + "/user:u" + i).setPeriod(BudgetPeriod.MONTH)
                    .setLimitUnit(LimitUnit.NANO_USD).setLimit(1_000_000_000L).setHard(true)
                    .setLadder(List.of(LadderStep.newBuilder().setThresholdPercent(100)
                            .setAction(ThrottleAction.BLOCK).build()))
                    .setUpdatedAt(Instant.now()).build());
        }
        try (BudgetPublisher publisher = new BudgetPublisher(topics.budgets(), kafka,
                ConfluentAvroSerde.of(Budget.class, registry, false))) {
            publisher.put(budgets);
        }
        Map<String, Long> arrivedAt = new ConcurrentHashMap<>();
        Map<String, Long> decidedAt = new ConcurrentHashMap<>();
        view.addListener((scope, before, after) -> {
            if (after != null && after.getAction() == ThrottleAction.BLOCK) {
                arrivedAt.putIfAbsent(scope, System.nanoTime());
                decidedAt.putIfAbsent(scope, after.getDecidedAt().toEpochMilli());
            }
        });
        String last = "/v1/budgets/b-" + customer + "-" + (crossings - 1);
        long waitUntil = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (http.send(HttpRequest.newBuilder(app.uri().resolve(last)).GET().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode() != 200
                && System.nanoTime() < waitUntil) {
            Thread.sleep(100); // polling until the app has every budget
        }

        AtomicBoolean stop = new AtomicBoolean();
        long counted0 = counted();
        long sent0 = emitter.metrics().sent();
        Thread load = background(rate, stop, Duration.ofMinutes(10));
        Thread.sleep(5_000); // the background traffic settles before the first crossing
        long[] emittedAt = new long[crossings];
        long[] emittedAtMs = new long[crossings];
        for (int i = 0; i < crossings; i++) {
            emittedAt[i] = System.nanoTime();
            emittedAtMs[i] = System.currentTimeMillis();
            emitter.emit(UsageEvent.newBuilder().setEventId(UUID.randomUUID()).setOccurredAt(Instant.now())
                    .setSource("gw-load").setCustomerId(customer).setUserId("u" + i).setFeature("chat")
                    .setProvider("openai").setModel("gpt-4.1").setInputTokens(500_000).setOutputTokens(0).build());
            Thread.sleep(20); // paces the crossings, so each latency is its own
        }
        long lagAtLastCrossing = (emitter.metrics().sent() - sent0) - (counted() - counted0);
        stop.set(true);
        load.join();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (arrivedAt.size() < crossings && System.nanoTime() < deadline) {
            Thread.sleep(50); // waiting for the last decisions
        }
        drain(Duration.ofMinutes(5));
        Map<String, Long> pricedAt = pricedAt(customer);
        Latencies latencies = new Latencies();
        Latencies toDecision = new Latencies();
        Latencies toPriced = new Latencies();
        Latencies pricedToDecision = new Latencies();
        Latencies toView = new Latencies();
        int missing = 0;
        for (int i = 0; i < crossings; i++) {
            String scope = "customer:" + customer + "/user:u" + i;
            Long at = arrivedAt.get(scope);
            if (at == null) {
                missing++;
            } else {
                latencies.record(at - emittedAt[i]);
                // The app's decided_at is its wall clock when it decided: the split between the way in (agent,
                // Kafka, pricing, the by-scope repartition) and the way out (commit, throttle topic, the view).
                long decided = decidedAt.get(scope);
                long in = Math.max(0, decided - emittedAtMs[i]) * 1_000_000;
                toDecision.record(in);
                toView.record(Math.max(0, at - emittedAt[i] - in));
                // Its priced_at (the app's wall clock when the usage task priced it) splits the way in again:
                // agent, Kafka and the usage task's read; then its commit, the by-scope topic and the enforcer.
                Long priced = pricedAt.get("u" + i);
                if (priced != null) {
                    toPriced.record(Math.max(0, priced - emittedAtMs[i]) * 1_000_000);
                    pricedToDecision.record(Math.max(0, decided - priced) * 1_000_000);
                }
            }
        }
        System.out.printf("decision latency at %,d events/s background: %s over %d crossings (%d missing); stream "
                + "lag when the last crossing was emitted: %,d events%n", rate, latencies.summary(), crossings,
                missing, lagAtLastCrossing);
        System.out.printf("  emit() -> decided: %s%n    emit() -> priced: %s%n    priced -> decided: %s%n"
                + "  decided -> at the view: %s%n", toDecision.summary(), toPriced.summary(),
                pricedToDecision.summary(), toView.summary());
        long p99 = latencies.percentile(99);
        Results.record(String.format("event -> throttle decision at %,d events/s", rate), "p99 ≤ 500 ms",
                String.format("p50 %s, p99 %s, p99.9 %s%s", Latencies.format(latencies.percentile(50)),
                        Latencies.format(p99), Latencies.format(latencies.percentile(99.9)),
                        missing == 0 ? "" : ", " + missing + " missing"), missing == 0 && p99 <= 500_000_000L);
    }

    /** When the app priced each of {@code customer}'s events (its {@code priced_at}), by user, from ClickHouse. */
    private Map<String, Long> pricedAt(String customer) {
        Map<String, Long> at = new HashMap<>();
        for (GenericRecord r : clickHouse.queryAll("SELECT user_id, toUnixTimestamp64Milli(priced_at) AS at "
                + "FROM e2e.usage_events WHERE customer_id = '" + customer + "'")) {
            at.put(r.getString("user_id"), r.getLong("at"));
        }
        return at;
    }

    /** Resident memory of every process and the stream app's state on disk, at the end of the rate steps. */
    private void printMemory(Path state) throws IOException {
        StringBuilder line = new StringBuilder("resident memory: this JVM (stream app, sinks, SDK, load) ")
                .append(Harness.residentMiB()).append(" MiB");
        for (LocalStack.Service s : stack.services()) {
            line.append(", ").append(s.name()).append(' ').append(s.residentMiB()).append(" MiB");
        }
        System.gc(); // so the heap figure is what is live, not garbage
        System.out.printf("%s; heap in use after GC %,d MiB; stream app state on disk %,d MiB%n", line,
                ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20,
                Harness.sizeOnDisk(state) >> 20);
    }
}
