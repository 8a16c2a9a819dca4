package dev.tokenmin.stream.app;

import dev.tokenmin.http.HttpEndpoint;
import dev.tokenmin.http.Meters;
import dev.tokenmin.http.Reply;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.stream.api.QueryApi;
import dev.tokenmin.stream.budget.BudgetPublisher;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.kafka.HangingTransactions;
import dev.tokenmin.stream.serde.StreamSerdes;
import dev.tokenmin.stream.topology.MeteringTopology;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The running stream app: the metering topology in a Kafka Streams client, and its HTTP API. The API binds first,
 * because its address is the client's {@code application.server}, which other instances forward queries to.
 * An exception that escapes a stream thread (a bug, or a store that cannot be written) shuts the client down
 * rather than skipping records: the process exits non-zero and its supervisor restarts it, to resume from the
 * last committed transaction. So does a client that stays in {@code REBALANCING} without any progress for
 * {@code stall.timeout.seconds} ({@link StallWatchdog}); its threads' stacks are written to
 * {@code <state.dir>/diagnostics/} first.
 */
public final class StreamApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StreamApp.class);
    /** A stalled client's threads may never answer a close (one waiting on its group's join does not): wait less. */
    private static final Duration STALLED_CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final KafkaStreams streams;
    private final HttpEndpoint http;
    private final SchemaRegistryClient registry;
    private final BudgetPublisher budgets;
    private final PrometheusMeterRegistry meters;
    private final KafkaStreamsMetrics streamsMetrics;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ScheduledExecutorService watchdogTimer;
    private volatile boolean stalled;
    private volatile String stallDiagnosis;

    private StreamApp(StreamAppConfig config) {
        Map<String, Object> registryProps = new HashMap<>(config.registry());
        registryProps.put(SchemaRegistryConfig.URL, config.schemaRegistryUrl());
        this.registry = new SchemaRegistryClient(SchemaRegistryConfig.fromProperties(registryProps));
        StreamSerdes serdes = StreamSerdes.withRegistry(registry);
        this.meters = Meters.prometheus(new StateStoreMeterTags());
        DomainMeters.bindTo(meters);
        Map<String, Object> kafka = new HashMap<>(config.kafka());
        kafka.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        this.budgets = new BudgetPublisher(config.topics().budgets(), kafka, serdes.budget());

        // The API needs the client and the client needs the API's port: bind first, hand the client over after.
        Deferred api = new Deferred();
        this.http = new HttpEndpoint("stream-api", config.http().host(), config.http().port(), api).start();
        HostInfo self = new HostInfo(config.http().advertisedHost(), http.port());
        Properties props = config.streamsProperties();
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        this.streams = new KafkaStreams(MeteringTopology.build(config, serdes), props);
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("stream thread failed: {}; shutting down this instance, to restart from the last commit",
                    e.toString());
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.setStateListener((now, before) -> {
            LOG.info("kafka streams {} -> {}", before, now);
            if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
                stopped.countDown();
            }
        });
        Duration stallTimeout = config.stallTimeout();
        Duration checkEvery = StallWatchdog.checkPeriod(stallTimeout);
        StallWatchdog watchdog = new StallWatchdog(stallTimeout, checkEvery, this::snapshot, System::nanoTime,
                stalledFor -> onStall(stalledFor, config, kafka));
        streams.setGlobalStateRestoreListener(watchdog);
        this.watchdogTimer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("stall-watchdog").daemon().factory());
        if (stallTimeout.isPositive()) {
            watchdogTimer.scheduleWithFixedDelay(() -> {
                try {
                    watchdog.check();
                } catch (RuntimeException e) { // an escaping exception would cancel every later check
                    LOG.warn("stall check failed: {}", e.toString());
                }
            }, checkEvery.toMillis(), checkEvery.toMillis(), TimeUnit.MILLISECONDS);
        }
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(meters);
        api.delegate = new QueryApi(streams, self, meters, budgets, config.http().adminToken(), Clock.systemUTC());
    }

    /**
     * Starts the API and the Kafka Streams client.
     *
     * @throws IllegalStateException when the API's port cannot be bound
     */
    public static StreamApp start(StreamAppConfig config) {
        StreamApp app = new StreamApp(config);
        app.streams.start();
        LOG.info("stream app {} started; API on {}; state in {}", config.applicationId(), app.uri(),
                config.stateDir());
        return app;
    }

    public URI uri() {
        return http.uri();
    }

    public KafkaStreams streams() {
        return streams;
    }

    public PrometheusMeterRegistry meters() {
        return meters;
    }

    /** Waits until the client runs (state restored, partitions assigned), at most {@code timeout}. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline || stopped.getCount() == 0) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /** Waits until the client stops on its own (a fatal error); false when it still runs after {@code timeout}. */
    public boolean awaitStopped(long timeout, TimeUnit unit) throws InterruptedException {
        return stopped.await(timeout, unit);
    }

    /** True when the client stopped because of an error or a stall rather than {@link #close()}. */
    public boolean failed() {
        return stalled || streams.state() == KafkaStreams.State.ERROR;
    }

    /** The client's state, and its threads' states and tasks: what changes when a rebalance makes progress. */
    private StallWatchdog.Snapshot snapshot() {
        KafkaStreams.State state = streams.state();
        try {
            return new StallWatchdog.Snapshot(state, streams.metadataForLocalThreads().stream()
                    .map(t -> t.threadName() + " " + t.threadState() + " active " + taskIds(t.activeTasks())
                            + " standby " + taskIds(t.standbyTasks())).sorted().toList());
        } catch (RuntimeException e) { // not running or rebalancing (starting, stopping): the state says enough
            return new StallWatchdog.Snapshot(state, null);
        }
    }

    /**
     * The hanging transactions on this app's topics and its internal ones (changelogs, repartition topics): two
     * looks 3 s apart, only what both show.
     */
    private static List<HangingTransactions.Hanging> hangingTransactions(StreamAppConfig config,
                                                                         Map<String, Object> kafka)
            throws ExecutionException, InterruptedException {
        Map<String, Object> adminProps = new HashMap<>();
        kafka.forEach((k, v) -> {
            if (AdminClientConfig.configNames().contains(k)) {
                adminProps.put(k, v);
            }
        });
        adminProps.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        adminProps.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        try (Admin admin = Admin.create(adminProps)) {
            TopicNames t = config.topics();
            Set<String> ours = Set.of(t.usage(), t.prices(), t.budgets(), t.priced(), t.spend(), t.alerts(),
                    t.throttle(), t.deadLetters());
            List<TopicPartition> partitions = HangingTransactions.partitionsOf(admin,
                    n -> ours.contains(n) || n.startsWith(config.applicationId() + "-"));
            List<HangingTransactions.Hanging> first = HangingTransactions.find(admin, partitions);
            if (first.isEmpty()) {
                return List.of();
            }
            Thread.sleep(3_000);
            return HangingTransactions.stillHanging(first, HangingTransactions.find(admin, partitions));
        }
    }

    /** After a stall: what the look for hanging transactions found (null before any stall). */
    String stallDiagnosis() {
        return stallDiagnosis;
    }

    private static List<String> taskIds(Set<TaskMetadata> tasks) {
        return tasks.stream().map(t -> t.taskId().toString()).sorted().toList();
    }

    /**
     * Stops a stalled client, failed, so that the process exits non-zero and its supervisor starts it again; first
     * writes its threads' stacks and names any hanging transaction on the app's topics, which a restart cannot release.
     */
    private void onStall(Duration stalledFor, StreamAppConfig config, Map<String, Object> kafka) {
        stalled = true;
        String dump;
        try {
            dump = "threads written to " + ThreadDump.write(config.stateDir().resolve("diagnostics"), "stalled",
                    Instant.now());
        } catch (IOException e) {
            dump = "threads could not be written: " + e;
        }
        LOG.error("kafka streams has been {} for {} s without progress (no state change, no task moved, nothing "
                        + "restored); stopping this instance, to be started again from the last commit; {}",
                streams.state(), stalledFor.toSeconds(), dump);
        try {
            List<HangingTransactions.Hanging> hanging = hangingTransactions(config, kafka);
            for (HangingTransactions.Hanging h : hanging) {
                LOG.error("hanging transaction on {}: every read_committed reader stops there (this app's state "
                        + "restore included){}: {}", h, h.committed()
                        ? "; the broker lost the commit markers of a committed transaction, so aborting it releases "
                                + "the readers but drops those committed records (docs/faults.md)"
                        : " until an operator checks it and aborts it", h.abortCommand(config.bootstrapServers()));
            }
            stallDiagnosis = hanging.isEmpty() ? "no hanging transaction on the app's topics"
                    : hanging.size() + " hanging transactions on the app's topics";
        } catch (ExecutionException | RuntimeException e) {
            stallDiagnosis = "could not look for hanging transactions: "
                    + (e.getCause() == null ? e : e.getCause());
            LOG.warn("{}", stallDiagnosis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stallDiagnosis = "interrupted while looking for hanging transactions";
        }
        Thread.ofPlatform().name("stall-stop").start(() -> {
            streams.close(STALLED_CLOSE_TIMEOUT);
            stopped.countDown();
        });
    }

    @Override
    public void close() {
        try {
            http.close();
        } catch (Exception e) {
            LOG.warn("stream API did not stop cleanly: {}", e.toString());
        }
        watchdogTimer.shutdownNow();
        streams.close(stalled ? STALLED_CLOSE_TIMEOUT : Duration.ofSeconds(30));
        streamsMetrics.close();
        budgets.close();
        registry.close();
        meters.close();
        stopped.countDown();
    }

    /** The API's handler until the API exists: 503, so probes that come early are told to wait. */
    private static final class Deferred extends Handler.Abstract {
        private volatile Handler delegate;

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            Handler h = delegate;
            if (h == null) {
                Reply.error(503, "starting").header("Retry-After", "1").send(response, callback);
                return true;
            }
            return h.handle(request, response, callback);
        }
    }
}
