package dev.tokenmin.benchmarks.load;

import com.clickhouse.client.api.Client;
import dev.tokenmin.avro.LimitUnit;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.clickhouse.migration.MigrationRunner;
import dev.tokenmin.clickhouse.migration.Migrations;
import dev.tokenmin.clickhouse.sink.Sinks;
import dev.tokenmin.ingest.emit.Emission;
import dev.tokenmin.ingest.emit.EmitterConfig;
import dev.tokenmin.ingest.emit.UsageEmitter;
import dev.tokenmin.ingest.throttle.ThrottleView;
import dev.tokenmin.localstack.Folders;
import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import dev.tokenmin.schemas.scope.ScopeKey;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.kafka.TopicAdmin;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.pricing.PricePublisher;
import dev.tokenmin.stream.serde.StreamSerdes;
import dev.tokenmin.stream.topology.MeteringCounters;
import dev.tokenmin.stream.topology.MeteringTopology;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The design's floor for #10's decision latency: the whole live pipeline as {@code load e2e} runs it (the SDK at a
 * fixed rate, Kafka, exactly-once Kafka Streams with the app's settings, the ClickHouse sinks, the agent's throttle
 * view), but with the least topology a per-user budget needs in this architecture: validate, deduplicate, price, write
 * the priced event (the app's own first stage), repartition by user (usage is keyed by event id), sum the user's spend
 * in a logged, cached store, compare it with the user's limit and write a BLOCK decision when it crosses. No other
 * scope, no windows, no spend topic, no anomaly detection, and the limits are a map built into the topology rather
 * than budgets read from their topic. Not a tokenmin topology: a lower bound for the app's decision latency at a given
 * rate on this machine, so that the target can be read against what these two cores allow the design at all.
 * {@code --partitioned-by-customer} measures the one-hop alternative instead: usage partitioned by customer at the
 * source (still keyed by event id), so a user's events are all in the task that prices them and the limit is checked
 * there, with no repartition. {@code --beside-app} runs the whole app next to it ({@link BesideApp}): the floor of an
 * enforcement path run apart from attribution, on cores it shares with the rest of the app.
 */
@Command(name = "decision-floor", mixinStandardHelpOptions = true,
        description = "Decision latency of the least topology a per-user budget needs, end to end (a bound).")
final class DecisionFloorLoad implements Callable<Integer> {

    private static final String USER_SPEND_STORE = "decision-floor-user-spend";
    /** The customer whose users cross their limits in the probe; the topology knows their limits. */
    private static final String CROSSING_CUSTOMER = "lat-floor";
    /** The customer whose users cross their limits before the timed probe, so that its code paths are compiled. */
    private static final String COLD_CUSTOMER = "lat-floor-cold";

    @Option(names = "--rate", defaultValue = "5000", description = "Background events/s (default: ${DEFAULT-VALUE}).")
    private int rate;

    @Option(names = "--step-seconds", defaultValue = "30",
            description = "Seconds of the step that checks the rate is sustained (default: ${DEFAULT-VALUE}).")
    private int stepSeconds;

    @Option(names = "--warmup-seconds", defaultValue = "30",
            description = "Seconds of load before the step, not reported (default: ${DEFAULT-VALUE}).")
    private int warmupSeconds;

    @Option(names = "--crossings", defaultValue = "300",
            description = "Budgets crossed, 20 ms apart (default: ${DEFAULT-VALUE}).")
    private int crossings;

    @Option(names = "--cold-crossings", defaultValue = "100",
            description = "Budgets crossed after the warm-up and before the step, reported but not timed as the "
                    + "probe: " + Crossings.COLD_CROSSINGS_WHY + " (default: ${DEFAULT-VALUE}).")
    private int coldCrossings;

    @Option(names = "--partitions", defaultValue = "4",
            description = "Partitions per topic (default: ${DEFAULT-VALUE}).")
    private int partitions;

    @Option(names = "--partitioned-by-customer", description = "One hop: usage produced to the partition of its "
            + "customer (still keyed by event id, by an idempotent producer instead of the SDK), so the limit is "
            + "checked in the task that prices the event, without the repartition.")
    private boolean byCustomer;

    @Option(names = "--direct", description = "Two hops as by default, but produced by the same idempotent producer "
            + "as --partitioned-by-customer instead of the SDK (partitioned by event id), to compare the two alone.")
    private boolean direct;

    @Option(names = "--customer-scopes", description = "With --partitioned-by-customer: the limit check also sums each "
            + "event into the other scopes within its customer (the customer, feature, team and session), a cached, "
            + "logged store entry each, as an enforcement path of the app's scopes would in one hop.")
    private boolean customerScopes;

    @Option(names = "--beside-app", description = "Also run the whole stream app, in a JVM of its own, on the same "
            + "usage topic (its other topics its own): the floor's path then shares the cores with a neighbour that "
            + "cannot keep up at these rates, as an enforcement path run apart from attribution would.")
    private boolean besideApp;

    @Option(names = "--beside-nice", defaultValue = "0", description = "With --beside-app, the nice value of its "
            + "threads (default: ${DEFAULT-VALUE}, the same as everything else): 10 gives it about a ninth of the "
            + "weight of a thread at 0, as a smaller CPU request would on a shared host.")
    private int besideNice;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A stream app setting, e.g. --set kafka.commit.interval.ms=200.")
    private Map<String, String> overrides = new HashMap<>();

    /** Where the load goes: the SDK, or a plain producer ({@code --direct}, {@code --partitioned-by-customer}). */
    private interface Traffic extends AutoCloseable {
        void emitAll(List<UsageEvent> events);

        void emit(UsageEvent event);

        /** Events Kafka has acknowledged. */
        long sent();

        /** Events handed over and not yet acknowledged. */
        long pending();

        /** From now on, times each background event from its hand-over until Kafka (and the spool) has it. */
        void startTiming();

        /** What {@link #startTiming} timed, one line per leg. */
        String timingSummary();

        @Override
        void close();
    }

    /** Hand-over to Kafka's acknowledgement (and to the spool's fsync), recorded on the clients' own threads. */
    private static final class HandOverTimes {
        private volatile Latencies durable = new Latencies();
        private volatile Latencies acknowledged = new Latencies();
        private volatile boolean on;

        void start() {
            durable = new Latencies();
            acknowledged = new Latencies();
            on = true;
        }

        boolean on() {
            return on;
        }

        void durableSince(long handedAt) {
            durable.recordSince(handedAt);
        }

        void acknowledgedSince(long handedAt) {
            acknowledged.recordSince(handedAt);
        }

        String summary(String source, boolean spooled) {
            StringBuilder out = new StringBuilder();
            if (spooled) {
                out.append(String.format("  background events, %s -> on disk (fsynced): %s%n", source,
                        durable.summary()));
            }
            out.append(String.format("  background events, %s -> Kafka acknowledged: %s%n", source,
                    acknowledged.summary()));
            return out.toString();
        }
    }

    /** The SDK, as gateways emit: durable spool, keyed by event id. */
    private static final class SdkTraffic implements Traffic {
        private final UsageEmitter emitter;
        private final HandOverTimes times = new HandOverTimes();

        SdkTraffic(UsageEmitter emitter) {
            this.emitter = emitter;
        }

        @Override
        public void emitAll(List<UsageEvent> events) {
            long handedAt = System.nanoTime();
            List<Emission> emissions = emitter.emitAll(events);
            if (times.on()) {
                for (Emission emission : emissions) {
                    emission.durable().thenRun(() -> times.durableSince(handedAt));
                    emission.acknowledged().thenRun(() -> times.acknowledgedSince(handedAt));
                }
            }
        }

        @Override
        public void emit(UsageEvent event) {
            emitter.emit(event);
        }

        @Override
        public long sent() {
            return emitter.metrics().sent();
        }

        @Override
        public long pending() {
            return emitter.metrics().spooled() - emitter.metrics().sent();
        }

        @Override
        public void startTiming() {
            times.start();
        }

        @Override
        public String timingSummary() {
            return times.summary("emitAll()", true);
        }

        @Override
        public void close() {
            emitter.close();
        }
    }

    /**
     * An idempotent producer with the SDK's linger (5 ms) and no spool, keyed by event id as the app requires (so a
     * duplicate meets its first copy); with {@code byCustomer} it sends each event to its customer's partition, as a
     * one-hop design's agent would, else to its key's as the SDK does. A send that fails is counted and reported,
     * never retried here.
     */
    private static final class DirectTraffic implements Traffic {
        private final KafkaProducer<String, UsageEvent> producer;
        private final String topic;
        private final int partitions;
        private final boolean byCustomer;
        private final AtomicLong handed = new AtomicLong();
        private final AtomicLong acknowledged = new AtomicLong();
        private final AtomicLong failed = new AtomicLong();
        private final HandOverTimes times = new HandOverTimes();

        DirectTraffic(String bootstrap, SchemaRegistryClient registry, String topic, int partitions,
                      boolean byCustomer) {
            this.topic = topic;
            this.partitions = partitions;
            this.byCustomer = byCustomer;
            this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(),
                    ConfluentAvroSerde.of(UsageEvent.class, registry, true).serializer());
        }

        @Override
        public void emitAll(List<UsageEvent> events) {
            events.forEach(this::emit);
        }

        @Override
        public void emit(UsageEvent event) {
            handed.incrementAndGet();
            Integer partition = byCustomer ? Utils.toPositive(Utils.murmur2(
                    event.getCustomerId().getBytes(StandardCharsets.UTF_8))) % partitions : null;
            long handedAt = System.nanoTime();
            boolean timed = times.on();
            ProducerRecord<String, UsageEvent> record =
                    new ProducerRecord<>(topic, partition, event.getEventId().toString(), event);
            producer.send(record, (metadata, e) -> {
                (e == null ? acknowledged : failed).incrementAndGet();
                if (e == null && timed) {
                    times.acknowledgedSince(handedAt);
                }
            });
        }

        @Override
        public void startTiming() {
            times.start();
        }

        @Override
        public String timingSummary() {
            return times.summary("send()", false);
        }

        @Override
        public long sent() {
            return acknowledged.get();
        }

        @Override
        public long pending() {
            return handed.get() - acknowledged.get() - failed.get();
        }

        @Override
        public void close() {
            producer.close();
            if (failed.get() > 0) {
                System.out.printf("  %,d sends failed%n", failed.get());
            }
        }
    }

    /** Events through the budget check (the topology's last step). */
    private final AtomicLong checked = new AtomicLong();
    private long pricedBefore;
    /** The whole app beside the floor ({@code --beside-app}), else null. */
    private BesideApp beside;

    /**
     * Sums each user's cost and blocks the user when the sum reaches its limit: the least a per-user hard budget
     * costs after the repartition. A user without a limit costs the lookup, as a user without a budget does in the app.
     * With {@code customerScopes}, the event's other scopes within its customer are summed too (no limits on them).
     */
    private static final class UserBudget implements Processor<String, PricedUsage, String, ThrottleDecision> {
        private final Map<String, Long> limits;
        private final AtomicLong checked;
        private final boolean customerScopes;
        private ProcessorContext<String, ThrottleDecision> context;
        private KeyValueStore<String, Long> spent;

        UserBudget(Map<String, Long> limits, AtomicLong checked, boolean customerScopes) {
            this.limits = limits;
            this.checked = checked;
            this.customerScopes = customerScopes;
        }

        @Override
        public void init(ProcessorContext<String, ThrottleDecision> context) {
            this.context = context;
            this.spent = context.getStateStore(USER_SPEND_STORE);
        }

        @Override
        public void process(Record<String, PricedUsage> record) {
            UsageEvent e = record.value().getEvent();
            long cost = record.value().getCost().getTotalNanos();
            if (customerScopes) {
                for (ScopeKey other : ScopeKey.ofRequest(e.getCustomerId(), e.getUserId(), e.getFeature(), e.getTeam(),
                        e.getSessionId())) {
                    if (other.kind() != ScopeKey.Kind.GLOBAL && other.kind() != ScopeKey.Kind.USER) {
                        String key = other.toString();
                        Long sum = spent.get(key);
                        spent.put(key, (sum == null ? 0 : sum) + cost);
                    }
                }
            }
            String scope = ScopeKey.user(e.getCustomerId(), e.getUserId()).toString();
            Long before = spent.get(scope);
            long was = before == null ? 0 : before;
            long now = was + cost;
            spent.put(scope, now);
            Long limit = limits.get(scope);
            if (limit != null && was < limit && now >= limit) {
                Instant decidedAt = Instant.ofEpochMilli(System.currentTimeMillis());
                context.forward(new Record<>(scope, ThrottleDecision.newBuilder().setScope(scope)
                        .setAction(ThrottleAction.BLOCK).setReason("decision floor: limit reached").setSpent(now)
                        .setLimit(limit).setLimitUnit(LimitUnit.NANO_USD).setDecidedAt(decidedAt).build(),
                        record.timestamp()));
            }
            checked.incrementAndGet();
        }
    }

    @Override
    public Integer call() throws Exception {
        if (customerScopes && !byCustomer) {
            System.out.println("--customer-scopes needs --partitioned-by-customer: with usage partitioned by event id, "
                    + "a customer's scopes meet only after a repartition");
            return 2;
        }
        pricedBefore = priced();
        Path dir = Files.createTempDirectory("tokenmin-decision-floor");
        try (LocalStack stack = Harness.startStack();
             SchemaRegistryClient registry = new SchemaRegistryClient(
                     SchemaRegistryConfig.of(stack.schemaRegistryUrl()));
             Client clickHouse = new Client.Builder().addEndpoint(stack.clickHouseUrl()).setUsername("default")
                     .setPassword("").build()) {
            TopicNames topics = TopicNames.DEFAULT.withSuffix(".dfloor");
            Map<String, Object> kafka = Map.of("bootstrap.servers", stack.kafkaBootstrapServers());
            TopicAdmin.createMissing(kafka, topics, partitions);
            PricePublisher.publish(PriceCatalog.bundled(), topics.prices(), kafka, stack.schemaRegistryUrl());
            new MigrationRunner(clickHouse, MigrationRunner.Settings.of("dfloor")).migrate(Migrations.bundled());

            Map<String, String> settings = new HashMap<>(Map.of(
                    StreamAppConfig.BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers(),
                    StreamAppConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl(),
                    StreamAppConfig.STATE_DIR, dir.resolve("state").toString(), StreamAppConfig.HTTP_PORT, "0"));
            settings.putAll(overrides);
            StreamAppConfig config = StreamAppConfig.fromProperties(settings).withTopics(topics);
            Properties props = config.streamsProperties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "tokenmin-decision-floor");
            Map<String, String> agentProps = Map.of(
                    EmitterConfig.BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers(),
                    EmitterConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl(),
                    EmitterConfig.TOPIC, topics.usage(), EmitterConfig.THROTTLE_TOPIC, topics.throttle(),
                    EmitterConfig.SPOOL_DIR, dir.resolve("spool").toString());
            EmitterConfig agent = EmitterConfig.fromProperties(agentProps);
            beside = besideApp ? BesideApp.start(stack, topics, partitions, dir) : null;
            List<LocalStack.Service> services = new ArrayList<>(stack.services());
            if (beside != null) {
                services.add(beside.service());
            }
            CpuSplit cpu = new CpuSplit(services);
            try (BesideApp neighbour = beside;
                 KafkaStreams streams = new KafkaStreams(topology(config, StreamSerdes.withRegistry(registry), props),
                    props);
                 Sinks sinks = Sinks.start(clickHouse, registry, kafka, new Sinks.SourceTopics(topics.priced(),
                         topics.alerts(), topics.throttle(), topics.prices()), new Sinks.Target("dfloor", "",
                         "tokenmin-dfloor-sink", Sinks.Target.DEFAULT_MAX_ROWS, Sinks.Target.DEFAULT_MAX_AGE));
                 Traffic traffic = byCustomer || direct ? new DirectTraffic(stack.kafkaBootstrapServers(), registry,
                         topics.usage(), partitions, byCustomer) : new SdkTraffic(UsageEmitter.start(agent));
                 ThrottleView view = ThrottleView.start(agent)) {
                if (beside != null && besideNice != 0) {
                    beside.lowerPriority(besideNice);
                }
                streams.start();
                if (!awaitRunning(streams, Duration.ofMinutes(2)) || !view.awaitReady(Duration.ofMinutes(1))) {
                    System.out.println("the floor's Kafka Streams or the throttle view did not start");
                    return 1;
                }
                System.out.printf("decision floor: %s -> Kafka (%d partitions) -> validate, dedup, price, priced "
                        + "topic, %ssum%s and limit check (exactly-once, %s) -> throttle view; ClickHouse sinks on the "
                        + "same topics as end to end%s%n", source(), partitions,
                        byCustomer ? "" : "by-user repartition, ",
                        customerScopes ? " (every scope within the customer summed)" : "",
                        overrides.isEmpty() ? "the app's settings" : overrides,
                        beside == null ? "" : "; beside it, the whole stream app in a JVM of its own on the same "
                                + "usage topic" + (besideNice == 0 ? "" : ", its threads at nice " + besideNice));
                if (warmupSeconds > 0) {
                    Pacer.start(traffic::emitAll, rate, new AtomicBoolean(), Duration.ofSeconds(warmupSeconds)).join();
                    drain(traffic, sinks, Duration.ofMinutes(5));
                    System.out.printf("  (warm-up: %d s at %,d/s, not reported)%n", warmupSeconds, rate);
                }
                if (coldCrossings > 0) {
                    Crossings cold = new Crossings(COLD_CUSTOMER, coldCrossings, view);
                    crossUnderLoad(traffic, cold, false);
                    cold.awaitDecisions(Duration.ofMinutes(1));
                    System.out.print(cold.coldSummary());
                    drain(traffic, sinks, Duration.ofMinutes(5));
                }

                long sent0 = traffic.sent();
                long checked0 = checked.get();
                long priced0 = priced();
                long rows0 = sinks.usageRows();
                Map<String, Long> cpu0 = cpu.snapshot();
                StreamThreadTime threadTime = new StreamThreadTime(streams);
                traffic.startTiming();
                long start = System.nanoTime();
                Thread load = Pacer.start(traffic::emitAll, rate, new AtomicBoolean(), Duration.ofSeconds(stepSeconds));
                while (!load.join(Duration.ofSeconds(1))) {
                    threadTime.sample();
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                long sent = traffic.sent() - sent0;
                long streamLag = sent - (checked.get() - checked0);
                long sinkLag = (priced() - priced0) - (sinks.usageRows() - rows0);
                boolean sustained = streamLag <= 2L * rate && sinkLag <= 5L * rate;
                System.out.printf("  %,d/s offered for %d s: Kafka %,.0f/s, checked %,.0f/s; lag at the end: stream "
                                + "%,d, sink %,d -> %s%n", rate, stepSeconds, sent / seconds,
                        (checked.get() - checked0) / seconds, streamLag, sinkLag,
                        sustained ? "sustained" : "NOT sustained");
                System.out.print(cpu.since(cpu0, seconds, sent) + threadTime.summary());
                if (beside != null) {
                    System.out.printf("  the whole app beside it: %s%n", beside.status());
                }
                drain(traffic, sinks, Duration.ofMinutes(5));
                System.out.print(traffic.timingSummary());

                Crossings probe = new Crossings(CROSSING_CUSTOMER, crossings, view);
                long lag = crossUnderLoad(traffic, probe, true);
                int missing = probe.awaitDecisions(Duration.ofMinutes(3));
                drain(traffic, sinks, Duration.ofMinutes(5));
                Latencies latencies = probe.emitToView();
                Map<String, Long> pricedAt = probe.pricedAt(clickHouse, "dfloor");
                Crossings.Split split = probe.split(pricedAt);
                System.out.printf("decision floor's latency at %,d events/s background: %s over %d crossings (%d "
                        + "missing); stream lag when the last crossing was emitted: %,d events%n", rate,
                        latencies.summary(), probe.count(), missing, lag);
                System.out.print(split.summary());
                System.out.print(probe.timeline(pricedAt));
                String what = String.format("design floor: event -> throttle decision at %,d events/s (%s, %s, %s%s)",
                        rate, source(), byCustomer ? (customerScopes ? "one hop, the customer's scopes" : "one hop")
                                : "two hops", sustained ? "sustained" : "not sustained",
                        beside == null ? "" : ", the whole app beside it" + (besideNice == 0 ? ""
                                : " at nice " + besideNice));
                Results.record(what, "", String.format("p50 %s, p99 %s, p99.9 %s%s",
                        Latencies.format(latencies.percentile(50)), Latencies.format(latencies.percentile(99)),
                        Latencies.format(latencies.percentile(99.9)), missing == 0 ? "" : ", " + missing
                                + " missing"), null);
            }
        } finally {
            Folders.deleteQuietly(dir);
        }
        return 0;
    }

    /**
     * Background traffic at the rate and, once it has settled, {@code probe}'s crossings; returns the stream lag when
     * the last crossing was emitted. For the {@code timed} probe, says what the whole app beside the floor (if any)
     * used meanwhile and how far behind it was.
     */
    private long crossUnderLoad(Traffic traffic, Crossings probe, boolean timed) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        long sentBefore = traffic.sent();
        long checkedBefore = checked.get();
        Thread background = Pacer.start(traffic::emitAll, rate, stop, Duration.ofMinutes(10));
        Thread.sleep(5_000); // the background traffic settles before the first crossing
        long besideCpu = beside == null ? 0 : beside.cpuNanos();
        long emitStart = System.nanoTime();
        probe.emit(traffic::emit);
        long lag = (traffic.sent() - sentBefore) - (checked.get() - checkedBefore);
        if (beside != null && timed) {
            System.out.printf("  the whole app beside it while the crossings were sent: %.2f cores; when the last "
                            + "was: %s%n", (beside.cpuNanos() - besideCpu) / (double) (System.nanoTime() - emitStart),
                    beside.status());
        }
        stop.set(true);
        background.join();
        return lag;
    }

    private String source() {
        return byCustomer ? "a producer partitioning by customer" : direct ? "a producer" : "SDK";
    }

    private Topology topology(StreamAppConfig config, StreamSerdes serdes, Properties props) {
        Map<String, Long> limits = new HashMap<>();
        for (int i = 0; i < crossings; i++) {
            limits.put(Crossings.scope(CROSSING_CUSTOMER, i), Crossings.LIMIT_NANOS);
        }
        for (int i = 0; i < coldCrossings; i++) {
            limits.put(Crossings.scope(COLD_CUSTOMER, i), Crossings.LIMIT_NANOS);
        }
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(props)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(USER_SPEND_STORE),
                Serdes.String(), Serdes.Long()).withCachingEnabled());
        KStream<String, PricedUsage> priced = MeteringTopology.priced(builder, config, serdes);
        if (!byCustomer) {
            // Usage partitioned by event id: a user's events are in every partition; they meet after a repartition.
            priced = priced.selectKey((k, p) -> ScopeKey.user(p.getEvent().getCustomerId(), p.getEvent().getUserId())
                            .toString(), Named.as("decision-floor-user-key"))
                    .repartition(Repartitioned.with(Serdes.String(), serdes.priced())
                            .withName("decision-floor-by-user"));
        }
        priced.process(() -> new UserBudget(limits, checked, customerScopes), Named.as("decision-floor-budget"),
                        USER_SPEND_STORE)
                .to(config.topics().throttle(), Produced.with(Serdes.String(), serdes.decision())
                        .withName("decision-floor-throttle"));
        return builder.build();
    }

    private static boolean awaitRunning(KafkaStreams streams, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline || !streams.state().isRunningOrRebalancing()) {
                return false;
            }
            Thread.sleep(50); // polling the client's state
        }
        return true;
    }

    /** Events priced in this JVM (the suite runs other harnesses that price before this one). */
    private static long priced() {
        return MeteringCounters.PRICED.get() + MeteringCounters.UNPRICED.get();
    }

    /** Waits until Kafka has every spooled event, the budget check has seen it and ClickHouse has stored it. */
    private void drain(Traffic traffic, Sinks sinks, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            long sent = traffic.sent();
            if (traffic.pending() == 0 && checked.get() >= sent
                    && sinks.usageRows() >= priced() - pricedBefore) {
                return;
            }
            Thread.sleep(100); // polling the pipeline's counters
        }
    }
}
