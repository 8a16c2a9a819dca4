package dev.tokenmin.faults;

import dev.tokenmin.localstack.Folders;
import dev.tokenmin.localstack.process.ChildProcess;
import dev.tokenmin.localstack.process.FreePorts;
import dev.tokenmin.stream.app.StreamMain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One stream app instance as a child JVM ({@code tokenmin stream}, this test's class path), so that it can be killed
 * like {@code kill -9}, stalled like {@code kill -STOP} and started again on the same state folder and HTTP port.
 */
final class StreamAppProcess implements AutoCloseable {

    private static final Duration READY_WITHIN = Duration.ofMinutes(3);

    private final String name;
    private final Path home;
    private final int httpPort;
    private final Map<String, String> settings;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private ChildProcess process;
    private int starts;

    /**
     * @param home     its folder: state ({@code state/}) and log ({@code stream.log})
     * @param settings {@code tokenmin stream} settings, passed as {@code --set}; state.dir and http.port are added
     */
    StreamAppProcess(String name, Path home, Map<String, String> settings) {
        this.name = name;
        this.home = home;
        this.httpPort = FreePorts.pick();
        this.settings = settings;
    }

    /** Starts it (again) and returns once it answers ready: its stream threads run. */
    StreamAppProcess start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is running");
        }
        List<String> args = new ArrayList<>(List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC",
                "-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED",
                // Kafka Streams' task, commit and rebalance decisions, in the instance logs at INFO by default: the
                // one broker-kill run that lost spend (docs/faults.md) logged them at WARN, which left out whether
                // the commit after a corrupted one succeeded. It adds about 100 KB per scenario.
                // -Dfaults.streams.log=warn leaves them out.
                "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.streams="
                        + System.getProperty("faults.streams.log", "info"),
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-cp", System.getProperty("java.class.path"), StreamMain.class.getName()));
        settings.forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
        args.addAll(List.of("--set", "state.dir=" + stateDir(), "--set", "http.port=" + httpPort));
        process = ChildProcess.startJava(name, args, home, home.resolve("stream.log"), Map.of());
        starts++;
        process.awaitReady(READY_WITHIN, this::ready);
        return this;
    }

    /** Kills it at once ({@code kill -9}): no commit, no flush, no clean shutdown. */
    void kill() {
        process.kill();
    }

    /** Stops it cleanly (SIGTERM: Kafka Streams closes, commits and writes its checkpoints). */
    void stop() {
        process.stop(Duration.ofSeconds(60));
    }

    /** Deletes its state folder (local RocksDB stores and checkpoints): the next start restores from changelogs. */
    void wipeState() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is running");
        }
        Folders.deleteQuietly(stateDir());
    }

    /** Freezes ({@code SIGSTOP}) or thaws ({@code SIGCONT}) the process, as a long GC pause or a stuck host would. */
    void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** How many times it was started, the first included. */
    int starts() {
        return starts;
    }

    URI uri(String pathQuery) {
        return URI.create("http://127.0.0.1:" + httpPort + pathQuery);
    }

    Path log() {
        return home.resolve("stream.log");
    }

    /** The thread dumps it wrote when it stalled (see the stream app's {@code stall.timeout.seconds}). */
    List<Path> diagnostics() throws IOException {
        Path dir = stateDir().resolve("diagnostics");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    /** GET on its API; status 0 when it does not answer. */
    HttpResponse<String> get(String pathQuery) {
        try {
            return http.send(HttpRequest.newBuilder(uri(pathQuery)).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private boolean ready() {
        HttpResponse<String> r = get("/readyz");
        return r != null && r.statusCode() == 200;
    }

    private Path stateDir() {
        return home.resolve("state");
    }

    @Override
    public void close() {
        if (process != null) {
            process.close();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
