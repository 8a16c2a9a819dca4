package dev.tokenmin.localstack.process;

import dev.tokenmin.localstack.ServiceStartException;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One service of the local stack running as a child JVM: output appended to a log file, ended with the parent
 * (see {@link ParentWatchdog}), stoppable gently or with {@code kill -9} for fault tests.
 */
public final class ChildProcess implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(100);
    /** util-linux's setsid, where the system has it (it execs in place: the child keeps the pid we know). */
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private final String service;
    private final Process process;
    private final Path log;
    /** Held open for the child's life: when this JVM dies the child reads end-of-file and exits. */
    private final OutputStream lifeline;

    private ChildProcess(String service, Process process, Path log) {
        this.service = service;
        this.process = process;
        this.log = log;
        this.lifeline = process.getOutputStream();
    }

    /**
     * Starts {@code java [jvmArgs] [main...]} with the JDK this JVM runs on, guarded by the parent watchdog agent.
     *
     * @param service  the service's name, used in errors
     * @param jvmArgs  JVM options, then the main class or {@code -jar file} and its arguments
     * @param workDir  the working directory
     * @param log      where stdout and stderr go (appended)
     * @param env      extra environment variables
     */
    public static ChildProcess startJava(String service, List<String> jvmArgs, Path workDir, Path log,
                                         Map<String, String> env) {
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            // A session of its own: Ctrl-C at the terminal signals this JVM only, which stops its services in
            // order (a caller may still need them to finish its work); the watchdog covers this JVM dying.
            command.add(SETSID.toString());
        }
        command.add(javaExecutable().toString());
        command.add("-javaagent:" + WatchdogAgentJar.path());
        command.addAll(jvmArgs);
        try {
            Files.createDirectories(workDir);
            Files.createDirectories(log.toAbsolutePath().getParent());
            Files.writeString(log, "---- " + java.time.Instant.now() + " starting " + service + ": "
                    + String.join(" ", command) + System.lineSeparator(), StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(env);
            return new ChildProcess(service, builder.start(), log);
        } catch (IOException e) {
            throw new ServiceStartException(service, log, "cannot launch " + javaExecutable(), e);
        }
    }

    /** Runs a short-lived JVM tool to completion (such as Kafka's storage formatter) and fails if it fails. */
    public static void runJava(String service, List<String> jvmArgs, Path workDir, Path log, Duration timeout) {
        try (ChildProcess tool = startJava(service, jvmArgs, workDir, log, Map.of())) {
            if (!tool.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                tool.kill();
                throw new ServiceStartException(service, log, "did not finish within " + timeout.toSeconds() + " s");
            }
            if (tool.process.exitValue() != 0) {
                throw new ServiceStartException(service, log, "exited with code " + tool.process.exitValue()
                        + tailOf(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceStartException(service, log, "interrupted");
        }
    }

    /** The java launcher of the JDK this JVM runs on (JDK 25, found by ./tokenmin or the build). */
    static Path javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /**
     * Polls {@code ready} until it holds or {@code timeout} passes; fails fast when the child exits first. Errors
     * name the service and its log, with the log's last lines.
     */
    public void awaitReady(Duration timeout, BooleanSupplier ready) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new ServiceStartException(service, log, "exited with code " + process.exitValue()
                        + " before it was ready" + tailOf(log));
            }
            if (ready.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                kill();
                throw new ServiceStartException(service, log, "not ready within " + timeout.toSeconds() + " s"
                        + tailOf(log));
            }
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
                throw new ServiceStartException(service, log, "interrupted while waiting");
            }
        }
    }

    /** Asks the child to stop (SIGTERM) and waits up to {@code grace}; then kills it. */
    public void stop(Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
    }

    /** Kills the child at once ({@code kill -9}) and waits until it is gone. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(15));
        try {
            lifeline.close();
        } catch (IOException e) {
            // The child is already gone; nothing to release.
        }
    }

    /** The log's last lines, prefixed for an error message, or nothing when it cannot be read. */
    static String tailOf(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> last = lines.subList(Math.max(0, lines.size() - 8), lines.size());
            return last.isEmpty() ? "" : "; last log lines:" + System.lineSeparator() + "  "
                    + String.join(System.lineSeparator() + "  ", last);
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }
}
