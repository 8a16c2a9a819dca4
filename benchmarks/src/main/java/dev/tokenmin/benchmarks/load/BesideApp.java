package dev.tokenmin.benchmarks.load;

import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.localstack.process.ChildProcess;
import dev.tokenmin.stream.app.StreamApp;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.kafka.TopicAdmin;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The whole stream app in a JVM of its own, reading the same usage topic as {@code load decision-floor}'s topology
 * and writing topics of its own: a stand-in for the attribution half of a pipeline whose enforcement path runs apart
 * from it (docs/benchmarks.md, "Enforcement apart from attribution"). It does more than that half would (it
 * validates, deduplicates and prices again, and enforces budgets, of which it has none), so it competes for the
 * cores at least as hard. At the floor's rates it cannot keep up and uses what the cores leave; its consumer lag
 * says how far behind it is.
 */
final class BesideApp implements AutoCloseable {

    private static final String APPLICATION_ID = "tokenmin-dfloor-beside";
    private static final String RUNNING = "beside app: running";

    private final ChildProcess process;
    private final Admin admin;
    private final String usageTopic;

    private BesideApp(ChildProcess process, Admin admin, String usageTopic) {
        this.process = process;
        this.admin = admin;
        this.usageTopic = usageTopic;
    }

    /** Starts it on {@code floorTopics}' usage and prices topics; returns once its Kafka Streams client runs. */
    static BesideApp start(LocalStack stack, TopicNames floorTopics, int partitions, Path dir)
            throws IOException, InterruptedException {
        TopicNames own = topics(floorTopics.usage(), floorTopics.prices());
        Map<String, Object> kafka = Map.of("bootstrap.servers", stack.kafkaBootstrapServers());
        TopicAdmin.createMissing(kafka, own, partitions);
        Path log = dir.resolve("beside-app.log");
        ChildProcess process = ChildProcess.startJava("beside app", List.of("-Xmx1g",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                BesideApp.class.getName(), stack.kafkaBootstrapServers(), stack.schemaRegistryUrl(),
                floorTopics.usage(), floorTopics.prices(), dir.resolve("beside-state").toString()), dir, log, Map.of());
        process.awaitReady(Duration.ofMinutes(2), () -> logHas(log, RUNNING));
        return new BesideApp(process, Admin.create(kafka), floorTopics.usage());
    }

    /** The app's topics: the floor's usage and prices, the rest its own. */
    private static TopicNames topics(String usage, String prices) {
        TopicNames own = TopicNames.DEFAULT.withSuffix(".dfloor-beside");
        return new TopicNames(usage, prices, own.budgets(), own.priced(), own.spend(), own.alerts(),
                own.throttle(), own.deadLetters(), own.webhookDeadLetters());
    }

    private static boolean logHas(Path log, String text) {
        try {
            return Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Gives each of its threads the nice value {@code nice} (Linux sets a nice value per thread, and a thread inherits
     * its creator's), now and every 2 s for threads started since: the weight a container's smaller CPU request gets
     * beside a larger one on a shared host.
     */
    void lowerPriority(int nice) {
        renice(nice);
        Thread.ofPlatform().daemon().name("beside-renice").start(() -> {
            while (process.isAlive()) {
                try {
                    Thread.sleep(2_000);
                } catch (InterruptedException e) {
                    return;
                }
                renice(nice);
            }
        });
    }

    private void renice(int nice) {
        List<String> command = new ArrayList<>(List.of("renice", "-n", String.valueOf(nice), "-p"));
        try (var tasks = Files.list(Path.of("/proc", String.valueOf(process.pid()), "task"))) {
            tasks.forEach(t -> command.add(t.getFileName().toString()));
        } catch (IOException e) {
            return; // the process has ended
        }
        try {
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor();
        } catch (IOException e) {
            throw new IllegalStateException("renice failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Its process, for {@link CpuSplit}. */
    LocalStack.Service service() {
        return new LocalStack.Service("the whole app beside it", "", process.pid(), process.log(), Duration.ZERO);
    }

    /** How far behind it is, or that it has stopped (a neighbour that died would compete for nothing). */
    String status() {
        return process.isAlive() ? String.format("%,d usage events behind", lag())
                : "STOPPED: it no longer competes for the cores";
    }

    /** Its process's CPU time so far, nanoseconds (user + system, from /proc). */
    long cpuNanos() {
        return CpuSplit.processCpuNanos(process.pid());
    }

    /** Usage events not yet read by it (committed offsets against the topic's end), or -1 when Kafka cannot tell. */
    private long lag() {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(APPLICATION_ID)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            List<TopicPartition> partitions = admin.describeTopics(List.of(usageTopic)).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(usageTopic).partitions().stream()
                    .map(p -> new TopicPartition(usageTopic, p.partition())).toList();
            var ends = admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p,
                    p -> OffsetSpec.latest()))).all().get(30, TimeUnit.SECONDS);
            long lag = 0;
            for (TopicPartition p : partitions) {
                OffsetAndMetadata at = committed.get(p);
                lag += ends.get(p).offset() - (at == null ? 0 : at.offset());
            }
            return lag;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
        process.stop(Duration.ofSeconds(30));
    }

    /**
     * The child: {@code bootstrap registry usageTopic pricesTopic stateDir}. Runs the app until it is stopped
     * (SIGTERM), printing one line once it runs.
     */
    public static void main(String[] args) throws InterruptedException {
        Map<String, String> settings = new HashMap<>(Map.of(
                StreamAppConfig.APPLICATION_ID, APPLICATION_ID,
                StreamAppConfig.BOOTSTRAP_SERVERS, args[0], StreamAppConfig.SCHEMA_REGISTRY_URL, args[1],
                StreamAppConfig.STATE_DIR, args[4], StreamAppConfig.HTTP_PORT, "0"));
        StreamAppConfig config = StreamAppConfig.fromProperties(settings).withTopics(topics(args[2], args[3]));
        StreamApp app = StreamApp.start(config);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("beside-shutdown").unstarted(app::close));
        if (!app.awaitRunning(Duration.ofMinutes(2))) {
            System.out.println("beside app: did not start");
            System.exit(1);
        }
        System.out.println(RUNNING);
        app.awaitStopped(Long.MAX_VALUE, TimeUnit.MILLISECONDS);
        System.exit(app.failed() ? 1 : 0);
    }
}
