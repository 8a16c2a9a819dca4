package dev.tokenmin.pipeline.run;

import dev.tokenmin.localstack.ServiceStartException;
import dev.tokenmin.localstack.StackEndpoints;
import dev.tokenmin.localstack.cli.DurationConverter;
import dev.tokenmin.pipeline.console.Terminal;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code tokenmin up}: the whole pipeline on this machine with simulated traffic, a live view, and the attribution
 * report at the end (or at Ctrl-C). Pointed at existing services ({@code --kafka}, {@code --registry},
 * {@code --clickhouse}, or {@code TOKENMIN_BOOTSTRAP_SERVERS}, {@code TOKENMIN_SCHEMA_REGISTRY_URL},
 * {@code TOKENMIN_CLICKHOUSE_URL}) it starts no local stack. Exit codes: 0 done and the ledger's totals equal the
 * simulator's count; 1 a component failed or the totals differ; 2 invalid options.
 */
@Command(name = "up", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs tokenmin end to end on this machine: Kafka, schema registry and ClickHouse (unless given),"
                + " the stream app, the ClickHouse sink, a sidecar and a traffic simulator; a live view; then the"
                + " attribution report.")
public final class PipelineMain implements Callable<Integer> {

    @Option(names = "--duration", defaultValue = "2m", converter = DurationConverter.class,
            description = "Real time the simulated traffic runs, e.g. 90s, 5m or PT5M (default: ${DEFAULT-VALUE}); "
                    + "Ctrl-C ends it earlier.")
    Duration duration;

    @Option(names = "--rate", defaultValue = "100",
            description = "Background events per second (default: ${DEFAULT-VALUE}); the scenario adds its own.")
    long rate;

    @Option(names = "--speed", defaultValue = "240",
            description = "Simulated seconds per real second (default: ${DEFAULT-VALUE}: an hour in 15 s).")
    long speed;

    @Option(names = "--seed", defaultValue = "42", description = "The traffic's seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--kafka", description = "An existing Kafka's bootstrap servers (with --registry, --clickhouse).")
    String kafka;

    @Option(names = "--registry", description = "An existing Confluent-compatible schema registry's URL.")
    String registry;

    @Option(names = "--clickhouse", description = "An existing ClickHouse's HTTP URL (user and password from "
            + "TOKENMIN_CLICKHOUSE_USER and TOKENMIN_CLICKHOUSE_PASSWORD).")
    String clickHouse;

    @Option(names = "--work-dir", description = "Data, state, spool and log (default: $XDG_DATA_HOME/tokenmin/up or "
            + "~/.local/share/tokenmin/up); a run starts from empty data.")
    Path workDir;

    @Option(names = "--partitions", defaultValue = "3",
            description = "Partitions per topic (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--plain",
            description = "No full-screen view: a summary line every 5 s (also when not a terminal).")
    boolean plain;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A stream app setting, e.g. --set "
            + "anomaly.threshold=3; kafka.* settings apply to every Kafka client.")
    Map<String, String> settings = new HashMap<>();

    private final Map<String, String> env;

    public PipelineMain() {
        this(System.getenv());
    }

    PipelineMain(Map<String, String> env) {
        this.env = env;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new PipelineMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        long startedAt = startedAt();
        List<String> problems = new ArrayList<>();
        if (rate < 1) {
            problems.add("--rate: at least 1, was " + rate);
        }
        if (speed < 1 || speed > 3_600) {
            problems.add("--speed: 1 to 3600, was " + speed);
        }
        if (duration.isNegative() || duration.compareTo(Duration.ofSeconds(10)) < 0) {
            problems.add("--duration: at least 10s, was " + duration);
        }
        if (partitions < 1) {
            problems.add("--partitions: at least 1, was " + partitions);
        }
        StackEndpoints external = external(problems);
        if (!problems.isEmpty()) {
            System.err.println("tokenmin up: " + String.join("; ", problems));
            return 2;
        }
        Path work = (workDir != null ? workDir : defaultWorkDir()).toAbsolutePath();
        Files.createDirectories(work);
        try (FileChannel lockFile = FileChannel.open(work.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = tryLock(lockFile)) {
            if (lock == null) {
                System.err.println("tokenmin up: another run uses " + work + " (a run wipes its data); stop it or pass"
                        + " --work-dir");
                return 2;
            }
            return runLocked(work, external, startedAt);
        }
    }

    /** The work dir's lock, or null when another run (in any process) holds it. */
    private static FileLock tryLock(FileChannel file) throws IOException {
        try {
            return file.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    private int runLocked(Path work, StackEndpoints external, long startedAt) throws Exception {
        // Every component logs through slf4j-simple; on the screen those lines would tear the live view.
        System.setProperty("org.slf4j.simpleLogger.logFile", work.resolve("tokenmin.log").toString());

        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("up-shutdown").unstarted(() -> {
            stop.countDown(); // Ctrl-C: end the traffic, report, stop everything, then let the JVM go
            try {
                done.await(3, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        Pipeline pipeline = new Pipeline(new Pipeline.Options(external, work, rate, speed, duration, seed, partitions,
                settings), System.out, Terminal.detect(System.out, plain));
        try {
            Pipeline.Result result = pipeline.run(stop, startedAt);
            System.out.println("Stopped; nothing left running.");
            return result.totalsMatch() ? 0 : 1;
        } catch (ServiceStartException | IllegalStateException e) {
            System.err.println("tokenmin up: " + e.getMessage() + " (log: " + work.resolve("tokenmin.log") + ")");
            return 1;
        } finally {
            done.countDown();
        }
    }

    /** The existing services, when all three are given; null for the local stack. */
    private StackEndpoints external(List<String> problems) {
        String k = kafka != null ? kafka : env.get("TOKENMIN_BOOTSTRAP_SERVERS");
        String r = registry != null ? registry : env.get("TOKENMIN_SCHEMA_REGISTRY_URL");
        String c = clickHouse != null ? clickHouse : env.get("TOKENMIN_CLICKHOUSE_URL");
        if (k == null && r == null && c == null) {
            return null;
        }
        if (k == null || r == null || c == null) {
            problems.add("existing services need all three of --kafka, --registry and --clickhouse (or their "
                    + "TOKENMIN_ variables); missing: " + String.join(", ", missing(k, r, c)));
            return null;
        }
        return new StackEndpoints(k, r, c);
    }

    private static List<String> missing(String k, String r, String c) {
        List<String> m = new ArrayList<>();
        if (k == null) {
            m.add("--kafka");
        }
        if (r == null) {
            m.add("--registry");
        }
        if (c == null) {
            m.add("--clickhouse");
        }
        return m;
    }

    /** When the user's command started: the launcher passes its start time, so the build counts too. */
    private long startedAt() {
        String launched = env.get("TOKENMIN_LAUNCHED_AT_MS");
        long now = System.nanoTime();
        if (launched == null) {
            return now;
        }
        try {
            long agoMs = System.currentTimeMillis() - Long.parseLong(launched.strip());
            return agoMs >= 0 && agoMs < 3_600_000 ? now - agoMs * 1_000_000 : now;
        } catch (NumberFormatException e) {
            return now;
        }
    }

    private Path defaultWorkDir() {
        String xdg = env.get("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("tokenmin").resolve("up");
    }
}
