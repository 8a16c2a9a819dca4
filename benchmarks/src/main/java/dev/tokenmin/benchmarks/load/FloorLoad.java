package dev.tokenmin.benchmarks.load;

import com.clickhouse.client.api.Client;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.clickhouse.migration.MigrationRunner;
import dev.tokenmin.clickhouse.migration.Migrations;
import dev.tokenmin.clickhouse.sink.TopicSink;
import dev.tokenmin.clickhouse.sink.UsageRows;
import dev.tokenmin.localstack.Folders;
import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.kafka.TopicAdmin;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.pricing.PricePublisher;
import dev.tokenmin.stream.serde.StreamSerdes;
import dev.tokenmin.stream.topology.MeteringTopology;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The design's floor on this machine: the same backlog as {@code load stream}, worked off by a Kafka Streams
 * topology that does only what any implementation of tokenmin's architecture must do per event, with the app's own
 * processors and settings (exactly-once, commit interval, RocksDB budget): validate, deduplicate by event id, price,
 * write the priced event. {@code --by-user} adds the least a per-user figure costs: a repartition by user and a
 * summed store entry per user. {@code --sink} runs the ClickHouse sink on the priced topic at the same time, as end
 * to end does. Not a tokenmin topology: an upper bound for the real one, so that #10's targets can be read against
 * what these two cores allow at all.
 */
@Command(name = "floor", mixinStandardHelpOptions = true,
        description = "Catch-up rate of the least topology the design needs (an upper bound for the app).")
final class FloorLoad implements Callable<Integer> {

    private static final String USER_SPEND_STORE = "floor-user-spend";
    /** Events through the topology's last step (in this run: the suite runs this harness more than once). */
    private final AtomicLong done = new AtomicLong();

    @Option(names = "--events", defaultValue = "200000", description = "Backlog size (default: ${DEFAULT-VALUE}).")
    private int events;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the usage topic (default: ${DEFAULT-VALUE}).")
    private int partitions;

    @Option(names = "--users", defaultValue = "5000", description = "Distinct users (default: ${DEFAULT-VALUE}).")
    private int users;

    @Option(names = "--by-user", description = "Add a repartition by user and a summed store entry per user.")
    private boolean byUser;

    @Option(names = "--sink", description = "Run the ClickHouse sink on the priced topic at the same time.")
    private boolean sink;

    @Option(names = "--timeout-seconds", defaultValue = "600",
            description = "Give up when the backlog is not through by then (default: ${DEFAULT-VALUE}).")
    private long timeoutSeconds;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A stream app setting, e.g. --set kafka.num.stream.threads=2.")
    private Map<String, String> overrides = new HashMap<>();

    /** Sums each user's cost in a logged, cached store: one repartitioned record per event, as the app's users. */
    private static final class UserSpend implements FixedKeyProcessor<String, PricedUsage, PricedUsage> {
        private final AtomicLong done;
        private KeyValueStore<String, Long> store;

        UserSpend(AtomicLong done) {
            this.done = done;
        }

        @Override
        public void init(FixedKeyProcessorContext<String, PricedUsage> context) {
            store = context.getStateStore(USER_SPEND_STORE);
        }

        @Override
        public void process(FixedKeyRecord<String, PricedUsage> record) {
            Long before = store.get(record.key());
            store.put(record.key(), (before == null ? 0 : before) + record.value().getCost().getTotalNanos());
            done.incrementAndGet();
        }
    }

    @Override
    public Integer call() throws Exception {
        Path state = Files.createTempDirectory("tokenmin-floor-load");
        try (LocalStack stack = Harness.startStack();
             SchemaRegistryClient registry = new SchemaRegistryClient(
                     SchemaRegistryConfig.of(stack.schemaRegistryUrl()));
             Client client = new Client.Builder().addEndpoint(stack.clickHouseUrl()).setUsername("default")
                     .setPassword("").build()) {
            TopicNames topics = TopicNames.DEFAULT.withSuffix(".floor");
            Map<String, Object> kafka = Map.of("bootstrap.servers", stack.kafkaBootstrapServers());
            TopicAdmin.createMissing(kafka, topics, partitions);
            PricePublisher.publish(PriceCatalog.bundled(), topics.prices(), kafka, stack.schemaRegistryUrl());
            Harness.produceUsageBacklog(stack, registry, topics.usage(), events, users, 20_000);
            TopicSink<PricedUsage> sinkTask = null;
            if (sink) {
                new MigrationRunner(client, MigrationRunner.Settings.of("floor")).migrate(Migrations.bundled());
                sinkTask = new TopicSink<>(client, new TopicSink.Settings(topics.priced(), "floor", "usage_events",
                        50_000, Duration.ofSeconds(2)), Map.of("bootstrap.servers", stack.kafkaBootstrapServers(),
                        "group.id", "floor-sink"),
                        ConfluentAvroSerde.of(PricedUsage.class, registry, false).deserializer(), new UsageRows());
            }

            Map<String, String> settings = new HashMap<>(Map.of(
                    StreamAppConfig.BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers(),
                    StreamAppConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl(),
                    StreamAppConfig.STATE_DIR, state.toString(), StreamAppConfig.HTTP_PORT, "0",
                    "kafka.auto.offset.reset", "earliest"));
            settings.putAll(overrides);
            StreamAppConfig config = StreamAppConfig.fromProperties(settings).withTopics(topics);
            Properties props = config.streamsProperties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "tokenmin-floor");
            StreamSerdes serdes = StreamSerdes.withRegistry(registry);
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long start = System.nanoTime();
            long deadline = start + Duration.ofSeconds(timeoutSeconds).toNanos();
            Thread sinkThread = sinkTask == null ? null : Thread.ofPlatform().start(sinkTask);
            try (KafkaStreams streams = new KafkaStreams(topology(config, serdes, props), props)) {
                streams.start();
                TopicSink<PricedUsage> s = sinkTask;
                long firstAt = 0;
                long firstDone = 0;
                long firstCpu = 0;
                while (done.get() < events || (s != null && s.counts().rows().get() < events)) {
                    Thread.sleep(100); // polling the topology's and the sink's progress
                    if (System.nanoTime() > deadline) {
                        System.err.printf("floor: %,d of %,d events through the topology and %,d in ClickHouse "
                                + "after %d s; stopped%n", done.get(), events,
                                s == null ? 0 : s.counts().rows().get(), timeoutSeconds);
                        return 1;
                    }
                    if (firstAt == 0 && done.get() > 0) {
                        firstAt = System.nanoTime();
                        firstDone = done.get();
                        firstCpu = os.getProcessCpuTime();
                    }
                }
                long end = System.nanoTime();
                double seconds = (end - start) / 1e9;
                double running = (end - firstAt) / 1e9;
                double cpu = (os.getProcessCpuTime() - firstCpu) / 1e9;
                String what = "validate, dedup, price, priced topic" + (byUser ? ", by-user repartition and sum" : "")
                        + (sink ? ", ClickHouse sink" : "") + (overrides.isEmpty() ? "" : ", " + overrides);
                // From the first event counted on: Kafka Streams' start (group join, restore) is not the floor's.
                double rate = (events - firstDone) / running;
                System.out.printf("floor (%s): %,d events in %.1f s from start, %,.0f events/s once running; this "
                        + "JVM used %.2f cores meanwhile%n", what, events, seconds, rate, cpu / running);
                Results.record("design floor: " + what, "", String.format("%,.0f events/s", rate), null);
            } finally {
                if (sinkTask != null) {
                    sinkTask.close();
                    sinkThread.join(30_000);
                }
            }
        } finally {
            Folders.deleteQuietly(state);
        }
        return 0;
    }

    private Topology topology(StreamAppConfig config, StreamSerdes serdes, Properties props) {
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(props)));
        KStream<String, PricedUsage> priced = MeteringTopology.priced(builder, config, serdes);
        if (byUser) {
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(USER_SPEND_STORE),
                    Serdes.String(), Serdes.Long()).withCachingEnabled());
            priced.selectKey((k, p) -> p.getEvent().getCustomerId() + "/" + p.getEvent().getUserId(),
                            Named.as("floor-user-key"))
                    .repartition(Repartitioned.with(Serdes.String(), serdes.priced()).withName("floor-by-user"))
                    .processValues(() -> new UserSpend(done), Named.as("floor-user-spend"), USER_SPEND_STORE);
        } else {
            priced.peek((k, p) -> done.incrementAndGet(), Named.as("floor-done"));
        }
        return builder.build();
    }
}
