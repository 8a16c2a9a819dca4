package dev.tokenmin.benchmarks.load;

import dev.tokenmin.localstack.Folders;
import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.stream.app.StreamApp;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.kafka.TopicAdmin;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.pricing.PricePublisher;
import dev.tokenmin.stream.topology.MeteringCounters;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stream app's throughput, exactly-once, on the real local broker: a backlog of usage events is produced first,
 * then the app starts in this JVM and works it off; the figure is distinct events per second from the app's start
 * until the global scope (which every event reaches, after the by-scope repartition) has counted them all. Prints
 * the CPU this JVM used, so the app's share of the two cores is visible next to the broker's.
 */
@Command(name = "stream", mixinStandardHelpOptions = true, description = "Stream app catch-up throughput.")
final class StreamLoad implements Callable<Integer> {

    private static final Pattern REQUESTS = Pattern.compile("\"requests\":(\\d+)");

    @Option(names = "--events", defaultValue = "200000", description = "Backlog size (default: ${DEFAULT-VALUE}).")
    private int events;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the usage topic (default: ${DEFAULT-VALUE}).")
    private int partitions;

    @Option(names = "--users", defaultValue = "5000", description = "Distinct users (default: ${DEFAULT-VALUE}).")
    private int users;

    @Option(names = "--sessions", defaultValue = "20000",
            description = "Distinct sessions (default: ${DEFAULT-VALUE}).")
    private int sessions;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A stream app setting, e.g. "
            + "--set kafka.num.stream.threads=2 or --set kafka.commit.interval.ms=1000.")
    private Map<String, String> overrides = new HashMap<>();

    /** The stream thread's own account: the share of its time in poll, process, commit and punctuate. */
    private static void printWhereTheTimeWent(StreamApp app) {
        app.streams().metrics().forEach((name, metric) -> {
            boolean thread = name.group().equals("stream-thread-metrics") && (name.name().endsWith("-ratio")
                    || name.name().endsWith("-latency-avg") || name.name().equals("commit-total"));
            boolean txn = name.group().equals("producer-metrics") && (name.name().startsWith("txn-")
                    || name.name().equals("flush-time-ns-total")) && !name.tags().getOrDefault("client-id", "")
                    .contains("global");
            if (thread || txn) {
                System.out.printf("  %s %s = %s%n", name.group(), name.name(), metric.metricValue());
            }
        });
    }

    /**
     * Records written per usage event to each topic the app writes (its internal topics and its outputs), from the
     * topics' offsets: what the producer, the broker and the changelog restore pay per event. Offsets include the
     * transaction markers (one per partition per commit), so a topic written rarely still shows a few.
     */
    private static void printRecordsPerEvent(Map<String, Object> kafka, TopicNames topics, int events)
            throws Exception {
        try (Admin admin = Admin.create(kafka)) {
            List<String> written = admin.listTopics().names().get().stream()
                    .filter(t -> t.startsWith("tokenmin-stream-") || t.equals(topics.priced())
                            || t.equals(topics.spend()) || t.equals(topics.alerts()) || t.equals(topics.throttle()))
                    .sorted().toList();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            admin.describeTopics(written).allTopicNames().get().forEach((topic, d) -> d.partitions().forEach(
                    p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest())));
            Map<String, Long> perTopic = new TreeMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) -> perTopic.merge(tp.topic(), info.offset(),
                    Long::sum));
            long total = perTopic.values().stream().mapToLong(Long::longValue).sum();
            System.out.printf("records written per event: %.1f in all%n", (double) total / events);
            perTopic.forEach((topic, n) -> System.out.printf("  %6.2f  %s%n", (double) n / events, topic));
        }
    }

    @Override
    public Integer call() throws Exception {
        Path state = Files.createTempDirectory("tokenmin-stream-load");
        try (LocalStack stack = Harness.startStack();
             SchemaRegistryClient registry = new SchemaRegistryClient(
                     SchemaRegistryConfig.of(stack.schemaRegistryUrl()))) {
            TopicNames topics = TopicNames.DEFAULT.withSuffix(".load");
            Map<String, Object> kafka = Map.of("bootstrap.servers", stack.kafkaBootstrapServers());
            TopicAdmin.createMissing(kafka, topics, partitions);
            PricePublisher.publish(PriceCatalog.bundled(), topics.prices(), kafka, stack.schemaRegistryUrl());

            Harness.produceUsageBacklog(stack, registry, topics.usage(), events, users, sessions);

            Map<String, String> props = new HashMap<>(Map.of(
                    StreamAppConfig.BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers(),
                    StreamAppConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl(),
                    StreamAppConfig.STATE_DIR, state.toString(), StreamAppConfig.HTTP_PORT, "0",
                    "kafka.auto.offset.reset", "earliest"));
            props.putAll(overrides);
            StreamAppConfig config = StreamAppConfig.fromProperties(props).withTopics(topics);
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpuStart = os.getProcessCpuTime();
            // The JVM's counters; the suite runs other harnesses that price in this JVM first.
            long pricedBefore = MeteringCounters.PRICED.get() + MeteringCounters.UNPRICED.get();
            long start = System.nanoTime();
            try (StreamApp app = StreamApp.start(config)) {
                HttpClient http = HttpClient.newHttpClient();
                URI global = URI.create(app.uri() + "/v1/spend?scope=global&window=month");
                long counted = 0;
                long lastPrint = start;
                while (counted < events) {
                    Thread.sleep(250);
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(global).GET().build(),
                            HttpResponse.BodyHandlers.ofString());
                    Matcher m = REQUESTS.matcher(r.body());
                    counted = r.statusCode() == 200 && m.find() ? Long.parseLong(m.group(1)) : 0;
                    if (System.nanoTime() - lastPrint > 5e9) {
                        lastPrint = System.nanoTime();
                        System.out.printf("  %5.1f s: priced %,d, counted in global %,d%n", (lastPrint - start) / 1e9,
                                MeteringCounters.PRICED.get() + MeteringCounters.UNPRICED.get() - pricedBefore,
                                counted);
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                double cpu = (os.getProcessCpuTime() - cpuStart) / 1e9;
                System.out.printf("stream app: %,d events in %.1f s from start: %,.0f events/s (exactly-once, %d "
                                + "partitions, %s); this JVM used %.1f CPU-seconds (%.2f cores)%n", events, seconds,
                        events / seconds, partitions, overrides.isEmpty() ? "defaults" : overrides, cpu, cpu / seconds);
                printWhereTheTimeWent(app);
                Results.record(String.format("stream app catch-up, %,d events, %,d users", events, users), "",
                        String.format("%,.0f events/s", events / seconds), null);
                System.gc(); // so the heap figure below is what the state and the app hold, not garbage
                long resident = Harness.settledResidentMiB();
                long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
                long heapCommitted = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() >> 20;
                long onDisk = Harness.sizeOnDisk(state) >> 20;
                // What is resident besides the Java heap: RocksDB (block caches, memtables), metaspace, compiled
                // code, thread stacks; the heap's own figure depends on the JVM's sizing (-Xmx), this one does not.
                System.out.printf("scopes: %,d users, %,d sessions: state on disk %,d MiB, this JVM resident %,d "
                        + "MiB (%,d MiB outside the Java heap), heap in use after GC %,d MiB%n", users, sessions,
                        onDisk, resident, resident - heapCommitted, heap);
                Results.record(String.format("memory with %,d users, %,d sessions", users, sessions), "",
                        String.format("state %,d MiB on disk, JVM resident %,d MiB (%,d outside the heap), heap "
                                + "live %,d MiB", onDisk, resident, resident - heapCommitted, heap), null);
            }
            printRecordsPerEvent(kafka, topics, events);
        } finally {
            Folders.deleteQuietly(state);
        }
        return 0;
    }
}
