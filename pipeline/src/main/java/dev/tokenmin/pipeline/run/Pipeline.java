package dev.tokenmin.pipeline.run;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.query.GenericRecord;
import com.clickhouse.client.api.query.QuerySettings;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenmin.clickhouse.migration.MigrationRunner;
import dev.tokenmin.clickhouse.migration.Migrations;
import dev.tokenmin.clickhouse.report.Report;
import dev.tokenmin.clickhouse.report.Reports;
import dev.tokenmin.clickhouse.report.TextTables;
import dev.tokenmin.clickhouse.sink.Sinks;
import dev.tokenmin.ingest.emit.EmitterConfig;
import dev.tokenmin.ingest.sidecar.SidecarConfig;
import dev.tokenmin.ingest.sidecar.SidecarServer;
import dev.tokenmin.localstack.Folders;
import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.localstack.LocalStackConfig;
import dev.tokenmin.localstack.StackEndpoints;
import dev.tokenmin.pipeline.console.Dashboard;
import dev.tokenmin.pipeline.console.Screen;
import dev.tokenmin.pipeline.console.Snapshot;
import dev.tokenmin.pipeline.console.Terminal;
import dev.tokenmin.pipeline.simulator.Scenario;
import dev.tokenmin.pipeline.simulator.SidecarClient;
import dev.tokenmin.pipeline.simulator.SimClock;
import dev.tokenmin.pipeline.simulator.SimCounts;
import dev.tokenmin.pipeline.simulator.Simulator;
import dev.tokenmin.pipeline.simulator.World;
import dev.tokenmin.schemas.NanoUsd;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.stream.app.StreamApp;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.kafka.TopicAdmin;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.pricing.PricePublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * tokenmin end to end on one machine: the local stack (or existing services), the stream app, the ClickHouse sink,
 * a sidecar and the traffic simulator, all but the three services in this process; a live view while it runs;
 * then, once everything the simulator sent is in ClickHouse, the attribution report and a check of its totals
 * against the simulator's own count; then everything stops, in reverse order of starting.
 */
public final class Pipeline {

    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(90);

    /**
     * @param external     existing Kafka, registry and ClickHouse, or null to start the local stack
     * @param workDir      the local stack's data, the stream app's state, the sidecar's spool, the log
     * @param ratePerSecond background events per real second (the scenario's actors come on top)
     * @param speed        simulated seconds per real second
     * @param duration     real time the simulated traffic lasts
     * @param seed         the traffic's seed
     * @param partitions   partitions of the topics a run creates
     * @param settings     further stream app settings ({@code --set}); {@code kafka.*} apply to every client
     */
    public record Options(StackEndpoints external, Path workDir, long ratePerSecond, long speed, Duration duration,
                          long seed, int partitions, Map<String, String> settings) {
    }

    /**
     * What a run showed.
     *
     * @param counts             the simulator's own count
     * @param spanStart          the simulated span's start
     * @param storedEvents       events in ClickHouse for the span when the run ended
     * @param storedCostNanos    their cost
     * @param report             the attribution report as printed
     * @param firstFigures       real time from the run's start to the first spend figures from ClickHouse on
     *                           screen, or null when none came
     * @param database           the ClickHouse database it wrote
     */
    public record Result(SimCounts counts, Instant spanStart, long storedEvents, long storedCostNanos, String report,
                         Duration firstFigures, String database) {

        public boolean totalsMatch() {
            return storedEvents == counts.sent();
        }
    }

    private final Options options;
    private final PrintStream out;
    private final Terminal terminal;
    private final Deque<AutoCloseable> running = new ArrayDeque<>();

    public Pipeline(Options options, PrintStream out, Terminal terminal) {
        this.options = options;
        this.out = out;
        this.terminal = terminal;
    }

    /**
     * Runs until the simulated span ends or {@code stop} opens, then reports and stops everything.
     *
     * @param startedAt when the user's command started (for the time to the first figures)
     */
    public Result run(CountDownLatch stop, long startedAt) throws Exception {
        try {
            return runStarted(stop, startedAt);
        } finally {
            closeAll();
        }
    }

    private Result runStarted(CountDownLatch stop, long startedAt) throws Exception {
        Progress progress = new Progress(out);
        Path work = options.workDir().toAbsolutePath();
        Files.createDirectories(work);
        StackEndpoints endpoints;
        RunNames names;
        if (options.external() == null) {
            endpoints = startLocalStack(work, progress);
            names = RunNames.standard();
        } else {
            endpoints = options.external();
            names = RunNames.isolated(Instant.now());
            Folders.deleteRecursively(work.resolve("state"));
            Folders.deleteRecursively(work.resolve("spool"));
            progress.note("Using Kafka " + endpoints.kafkaBootstrapServers() + ", registry "
                    + endpoints.schemaRegistryUrl() + ", ClickHouse " + endpoints.clickHouseUrl()
                    + "; this run's topics end in " + names.topics().usage().substring(
                            TopicNames.DEFAULT.usage().length()) + ", its database is " + names.database());
        }
        Map<String, Object> kafka = new LinkedHashMap<>();
        options.settings().forEach((k, v) -> {
            if (k.startsWith("kafka.")) {
                kafka.put(k.substring("kafka.".length()), v);
            }
        });
        kafka.put("bootstrap.servers", endpoints.kafkaBootstrapServers());

        progress.step("topics", () -> {
            List<String> created = TopicAdmin.createMissing(kafka, names.topics(), options.partitions());
            return created.size() + " created, " + options.partitions() + " partitions each";
        });
        progress.step("prices", () -> "catalog " + PricePublisher.publish(PriceCatalog.bundled(),
                names.topics().prices(), kafka, endpoints.schemaRegistryUrl()));
        Client clickHouse = new Client.Builder().addEndpoint(endpoints.clickHouseUrl())
                .setUsername(System.getenv().getOrDefault("TOKENMIN_CLICKHOUSE_USER", "default"))
                .setPassword(System.getenv().getOrDefault("TOKENMIN_CLICKHOUSE_PASSWORD", "")).build();
        running.push(clickHouse);
        progress.step("ledger schema", () -> {
            MigrationRunner.Result r = new MigrationRunner(clickHouse, MigrationRunner.Settings.of(names.database()))
                    .migrate(Migrations.bundled());
            return "database " + names.database() + ": " + r.applied().size() + " migrations applied";
        });

        StreamApp app = progress.step("stream app", () -> startStreamApp(work, endpoints, names),
                a -> a.uri() + " (exactly-once, running)");
        SchemaRegistryClient registry = new SchemaRegistryClient(
                SchemaRegistryConfig.of(endpoints.schemaRegistryUrl()));
        running.push(registry);
        Sinks sinks = progress.step("clickhouse sink", () -> {
            Sinks started = Sinks.start(clickHouse, registry, kafka, names.sinkTopics(),
                    Sinks.Target.withDefaultBatches(names.database(), "", names.sinkGroup()));
            running.push(started);
            return started;
        }, x -> "usage_events, alerts, throttle_decisions, prices");

        World world = World.standard();
        Scenario scenario = Scenario.standard();
        SimClock clock = SimClock.replaying(Instant.now(), options.duration(), options.speed());
        ZoneId zone = Scenario.budgetZone(clock.start(), clock.end());
        progress.step("budgets", () -> putBudgets(app.uri(), scenario.budgets(zone)));

        Map<String, String> tokens = gatewayTokens(world);
        SidecarServer sidecar = progress.step("sidecar", () -> startSidecar(work, endpoints, names, tokens, kafka),
                x -> x.uri() + " (throttle view caught up)");
        double callsPerHour = options.ratePerSecond() * 3600.0 / options.speed();
        Simulator simulator = new Simulator(world, scenario, clock, callsPerHour, options.seed(),
                new SidecarClient(sidecar.uri()), tokens);
        running.push(simulator);
        progress.step("simulator", () -> {
            simulator.start();
            return String.format("%d gateways, %d customers, %d features; %s to %s UTC at x%d", world.gateways().size(),
                    world.customers().size(), world.features().size(), clock.start(), clock.end(), clock.speed());
        });
        if (clock.realDuration().multipliedBy(clock.speed()).compareTo(scenario.length()) < 0) {
            progress.note("note: the run covers " + clock.realDuration().multipliedBy(clock.speed()).toMinutes()
                    + " simulated minutes; the whole scenario needs " + scenario.length().toMinutes()
                    + " (raise --duration or --speed)");
        }
        if (!zone.getId().equals("UTC")) {
            progress.note("note: the simulated span crosses the start of a UTC month; the monthly budget follows "
                    + zone + "'s calendar so that the whole span is one month");
        }

        Dashboard dashboard = new Dashboard(simulator, sinks, sidecar.throttleView(), clickHouse, names.database(),
                Instant.now().minusSeconds(5));
        String footer = "log: " + work.resolve("tokenmin.log") + "    Ctrl-C stops early and prints the report";
        Duration firstFigures = null;
        Snapshot last = null;
        while (!simulator.isFinished() && !stop.await(1, TimeUnit.SECONDS)) {
            last = dashboard.snapshot();
            if (firstFigures == null && !last.features().isEmpty()) {
                firstFigures = Duration.ofNanos(System.nanoTime() - startedAt);
                LOG.info("first figures on screen {} ms after the command started", firstFigures.toMillis());
            }
            terminal.frame(Screen.render(last, scenario.script(), footer));
            if (simulator.failed() != null || !sinks.alive() || app.awaitStopped(0, TimeUnit.MILLISECONDS)) {
                out.println("tokenmin: a component stopped (see " + work.resolve("tokenmin.log") + "); stopping");
                break;
            }
        }
        simulator.close();
        long drained = drain(clickHouse, names.database(), clock.start(), simulator.counts().sent());
        last = dashboard.snapshot();
        terminal.full(Screen.render(last, scenario.script(), footer));
        long[] stored = stored(clickHouse, names.database(), clock.start());
        String report = report(clickHouse, names.database(), clock.start(), simulator.counts(), stored, drained,
                firstFigures);
        out.print(report);
        out.flush();
        return new Result(simulator.counts(), clock.start(), stored[0], stored[1], report, firstFigures,
                names.database());
    }

    private StackEndpoints startLocalStack(Path work, Progress progress) throws IOException {
        Path dir = work.resolve("stack");
        for (String d : List.of("stack", "state", "spool")) {
            Folders.deleteRecursively(work.resolve(d)); // every run starts from empty topics, state and ledger
        }
        progress.note("Starting Kafka, the schema registry and ClickHouse in " + dir + " ...");
        LocalStack stack = LocalStack.start(LocalStackConfig.in(dir).stoppedByCaller(),
                s -> progress.ready(s.name(), s.endpoint(), s.startup()));
        running.push(stack);
        return stack.endpoints();
    }

    private StreamApp startStreamApp(Path work, StackEndpoints endpoints, RunNames names) throws InterruptedException {
        Map<String, String> props = new LinkedHashMap<>(Scenario.streamSettings());
        props.putAll(options.settings());
        props.put(StreamAppConfig.BOOTSTRAP_SERVERS, endpoints.kafkaBootstrapServers());
        props.put(StreamAppConfig.SCHEMA_REGISTRY_URL, endpoints.schemaRegistryUrl());
        props.put(StreamAppConfig.APPLICATION_ID, names.applicationId());
        props.put(StreamAppConfig.STATE_DIR, work.resolve("state").toString());
        props.putIfAbsent(StreamAppConfig.HTTP_PORT, "0");
        StreamApp app = StreamApp.start(StreamAppConfig.fromProperties(props).withTopics(names.topics()));
        running.push(app);
        if (!app.awaitRunning(Duration.ofMinutes(2))) {
            throw new IllegalStateException("the stream app did not reach RUNNING within 2 minutes; see the log");
        }
        return app;
    }

    private SidecarServer startSidecar(Path work, StackEndpoints endpoints, RunNames names, Map<String, String> tokens,
                                       Map<String, Object> kafka) throws IOException, InterruptedException {
        Path tokenFile = work.resolve("gateway-tokens.properties");
        Files.deleteIfExists(tokenFile);
        Files.createFile(tokenFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        StringBuilder lines = new StringBuilder("# bearer tokens of the simulated gateways, new for every run\n");
        tokens.forEach((gateway, token) -> lines.append(gateway).append('=').append(token).append('\n'));
        Files.writeString(tokenFile, lines);
        Map<String, String> props = new LinkedHashMap<>();
        kafka.forEach((k, v) -> props.put("kafka." + k, String.valueOf(v)));
        props.put(EmitterConfig.BOOTSTRAP_SERVERS, endpoints.kafkaBootstrapServers());
        props.put(EmitterConfig.SCHEMA_REGISTRY_URL, endpoints.schemaRegistryUrl());
        props.put(EmitterConfig.SPOOL_DIR, work.resolve("spool").toString());
        props.put(EmitterConfig.TOPIC, names.topics().usage());
        props.put(EmitterConfig.THROTTLE_TOPIC, names.topics().throttle());
        props.put(SidecarConfig.PORT, "0");
        props.put(SidecarConfig.TOKENS_FILE, tokenFile.toString());
        SidecarServer sidecar = SidecarServer.start(SidecarConfig.fromProperties(props));
        running.push(sidecar);
        if (!sidecar.throttleView().awaitReady(Duration.ofMinutes(1))) {
            throw new IllegalStateException("the sidecar's throttle view did not catch up within a minute");
        }
        return sidecar;
    }

    private static Map<String, String> gatewayTokens(World world) {
        SecureRandom random = new SecureRandom();
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String gateway : world.gateways()) {
            byte[] b = new byte[24];
            random.nextBytes(b);
            tokens.put(gateway, HexFormat.of().formatHex(b));
        }
        return tokens;
    }

    /** Creates the scenario's budgets through the stream app's API, as an operator would. */
    private static String putBudgets(URI api, List<ObjectNode> budgets) throws IOException, InterruptedException {
        List<String> ids = new ArrayList<>();
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (ObjectNode b : budgets) {
                String id = b.get("budget_id").asText();
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(api.resolve("/v1/budgets/" + id))
                        .header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(b))).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() / 100 != 2) {
                    throw new IllegalStateException("budget " + id + " refused: HTTP " + r.statusCode() + " "
                            + r.body());
                }
                ids.add(id);
            }
        }
        return String.join(", ", ids);
    }

    /** Waits until ClickHouse holds every event the sidecar acknowledged; returns how many it holds. */
    private long drain(Client clickHouse, String database, Instant since, long sent) throws InterruptedException {
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        long stored = -1;
        out.println();
        out.println("Stopping traffic; waiting for the pipeline to land " + String.format("%,d", sent)
                + " events in ClickHouse ...");
        out.flush();
        while (System.nanoTime() < deadline) {
            stored = stored(clickHouse, database, since)[0];
            if (stored >= sent) {
                return stored;
            }
            Thread.sleep(250); // polling ClickHouse for the sink's progress
        }
        LOG.warn("after {} s ClickHouse holds {} of the {} events sent", DRAIN_TIMEOUT.toSeconds(), stored, sent);
        return stored;
    }

    /** Distinct events of the span in ClickHouse, and their cost. */
    private static long[] stored(Client clickHouse, String database, Instant since) {
        List<GenericRecord> rows = clickHouse.queryAll("SELECT count() AS n, sum(total_cost_nanos) AS cost FROM"
                        + " usage_events FINAL WHERE occurred_at >= fromUnixTimestamp64Milli({since:Int64})",
                Map.of("since", since.toEpochMilli()), new QuerySettings().setDatabase(database));
        return new long[] {rows.getFirst().getLong("n"), rows.getFirst().getLong("cost")};
    }

    private static String report(Client clickHouse, String database, Instant since, SimCounts counts, long[] stored,
                                 long drained, Duration firstFigures) {
        Reports reports = new Reports(clickHouse, database);
        StringBuilder s = new StringBuilder("\n");
        for (Report r : List.of(Report.FEATURE, Report.CUSTOMER, Report.SAVINGS)) {
            List<List<String>> rows = reports.run(r, since, null, 10);
            s.append(r.title()).append(" (ClickHouse, simulated span from ").append(since).append(")\n");
            s.append(TextTables.aligned(r.columns().stream().map(Report.Column::name).toList(), r.columns(), rows));
            s.append('\n');
        }
        s.append(String.format("simulator: %,d tasks offered, %,d events sent, %,d refused (budget exhausted), %,d "
                        + "downgraded, %,d context trimmed%n", counts.offered(), counts.sent(), counts.refused(),
                counts.downgraded(), counts.trimmed()));
        s.append(String.format("ClickHouse: %,d events, %s USD%n", stored[0], NanoUsd.format(stored[1])));
        s.append(stored[0] == counts.sent() ? "totals match: every event sent is in the ledger once\n"
                : String.format("TOTALS DIFFER: ClickHouse holds %,d of %,d events sent (%,d when the wait ended)%n",
                        stored[0], counts.sent(), drained));
        if (firstFigures != null) {
            s.append(String.format("first figures on screen %.1f s after the command started%n",
                    firstFigures.toMillis() / 1000.0));
        }
        return s.toString();
    }

    private void closeAll() {
        while (!running.isEmpty()) {
            AutoCloseable c = running.pop();
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("{} did not stop cleanly: {}", c.getClass().getSimpleName(), e.toString());
            }
        }
    }

}
