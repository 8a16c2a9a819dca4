package dev.tokenmin.benchmarks.load;

import com.clickhouse.client.api.Client;
import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.BudgetPeriod;
import dev.tokenmin.avro.LadderStep;
import dev.tokenmin.avro.LimitUnit;
import dev.tokenmin.avro.ThrottleAction;
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
import java.util.concurrent.Callable;
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

    @Option(names = "--cold-crossings", defaultValue = "100",
            description = "Budgets crossed before each probe's, under the same load, reported but not timed as the "
                    + "probe: " + Crossings.COLD_CROSSINGS_WHY + " (default: ${DEFAULT-VALUE}).")
    private int coldCrossings;

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
                    Pacer.start(emitter::emitAll, rates.getFirst(), new AtomicBoolean(),
                            Duration.ofSeconds(warmupSeconds)).join();
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
        Thread load = Pacer.start(emitter::emitAll, rate, new AtomicBoolean(), Duration.ofSeconds(stepSeconds));
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
     * {@code crossings} users with a 1 USD monthly hard budget, each crossed by one 1 USD event, 20 ms apart, while
     * background traffic runs at {@code rate}: from {@code emit()} to the BLOCK decision at the throttle view.
     */
    private void latency(StreamApp app, ThrottleView view, TopicNames topics, Map<String, Object> kafka,
                         SchemaRegistryClient registry, int rate, String probe) throws Exception {
        Crossings cold = coldCrossings > 0 ? new Crossings("lat-" + probe + "-cold", coldCrossings, view) : null;
        Crossings crossings = new Crossings("lat-" + probe, this.crossings, view);
        String customer = crossings.customer();
        List<Budget> budgets = new ArrayList<>();
        for (Crossings set : cold == null ? List.of(crossings) : List.of(cold, crossings)) {
            for (int i = 0; i < set.count(); i++) {
                budgets.add(Budget.newBuilder().setBudgetId("b-" + set.customer() + "-" + i)
                        .setScope(set.scope(i)).setPeriod(BudgetPeriod.MONTH)
                        .setLimitUnit(LimitUnit.NANO_USD).setLimit(Crossings.LIMIT_NANOS).setHard(true)
                        .setLadder(List.of(LadderStep.newBuilder().setThresholdPercent(100)
                                .setAction(ThrottleAction.BLOCK).build()))
                        .setUpdatedAt(Instant.now()).build());
            }
        }
        try (BudgetPublisher publisher = new BudgetPublisher(topics.budgets(), kafka,
                ConfluentAvroSerde.of(Budget.class, registry, false))) {
            publisher.put(budgets);
        }
        String last = "/v1/budgets/b-" + customer + "-" + (crossings.count() - 1);
        long waitUntil = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (http.send(HttpRequest.newBuilder(app.uri().resolve(last)).GET().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode() != 200
                && System.nanoTime() < waitUntil) {
            Thread.sleep(100); // polling until the app has every budget
        }

        AtomicBoolean stop = new AtomicBoolean();
        long counted0 = counted();
        long sent0 = emitter.metrics().sent();
        Thread load = Pacer.start(emitter::emitAll, rate, stop, Duration.ofMinutes(10));
        // The background traffic settles for 5 s before the first timed crossing; the cold ones go in that time, so
        // that the backlog the probe meets at a rate the app does not sustain stays what it was without them.
        long settled = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        if (cold != null) {
            Thread.sleep(1_000);
            cold.emit(emitter::emit);
        }
        Thread.sleep(Math.max(0, (settled - System.nanoTime()) / 1_000_000));
        crossings.emit(emitter::emit);
        long lagAtLastCrossing = (emitter.metrics().sent() - sent0) - (counted() - counted0);
        stop.set(true);
        load.join();
        int missing = crossings.awaitDecisions(Duration.ofMinutes(3));
        if (cold != null) {
            System.out.print(cold.coldSummary());
        }
        drain(Duration.ofMinutes(5));
        Latencies latencies = crossings.emitToView();
        Map<String, Long> pricedAt = crossings.pricedAt(clickHouse, "e2e");
        Crossings.Split split = crossings.split(pricedAt);
        System.out.printf("decision latency at %,d events/s background: %s over %d crossings (%d missing); stream "
                + "lag when the last crossing was emitted: %,d events%n", rate, latencies.summary(), crossings.count(),
                missing, lagAtLastCrossing);
        System.out.print(split.summary());
        System.out.print(crossings.timeline(pricedAt));
        long p99 = latencies.percentile(99);
        Results.record(String.format("event -> throttle decision at %,d events/s", rate), "p99 ≤ 500 ms",
                String.format("p50 %s, p99 %s, p99.9 %s%s", Latencies.format(latencies.percentile(50)),
                        Latencies.format(p99), Latencies.format(latencies.percentile(99.9)),
                        missing == 0 ? "" : ", " + missing + " missing"), missing == 0 && p99 <= 500_000_000L);
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
