package dev.tokenmin.localstack.cli;

import dev.tokenmin.localstack.BuildInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The {@code local-stack up} command as a user runs it: endpoints printed, nothing left behind when it ends. */
class LocalStackCommandIT {

    private static final Pattern SERVICE_LINE = Pattern.compile(
            "^\\s+(kafka|schema-registry|clickhouse)\\s+(\\S+)\\s+(\\d+)\\s+\\d+ ms\\s+-?\\d+ MiB$");

    /**
     * A started command, its output until it ran, the process ids of the services it printed, and its output since
     * (filled as it comes).
     */
    private record Running(Process process, List<String> output, List<Long> servicePids, List<String> later) {
    }

    private static Running startUp(Path workDir) throws IOException {
        List<String> command = new ArrayList<>();
        if (sigintIgnored()) {
            // As in a terminal, where Ctrl-C reaches the command: a shell's background job (a build started with
            // `&`) ignores SIGINT, and every child inherits that, the JVM included (two CI runs started so on
            // 2026-12-05 waited here for a Ctrl-C that could not arrive). GNU env puts the default back.
            command.addAll(List.of("env", "--default-signal=INT"));
        }
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", BuildInfo.load().childClassPathArgument(), LocalStackCommand.class.getName(),
                "up", "--work-dir", workDir.toString(), "--duration", "PT5M"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        List<Long> pids = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null) {
            lines.add(line);
            Matcher m = SERVICE_LINE.matcher(line);
            if (m.matches()) {
                pids.add(Long.parseLong(m.group(3)));
            }
            if (line.startsWith("Running")) {
                break;
            }
        }
        List<String> later = Collections.synchronizedList(new ArrayList<>());
        Thread.ofPlatform().daemon().start(() -> drain(out, later));
        return new Running(process, lines, pids, later);
    }

    /** Whether this JVM started with SIGINT ignored, which the commands it starts inherit (Linux: /proc). */
    private static boolean sigintIgnored() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("SigIgn:")) {
                    long ignored = Long.parseLong(line.substring("SigIgn:".length()).trim(), 16);
                    return (ignored & 1L << (2 - 1)) != 0; // bit n-1 stands for signal n; SIGINT is 2
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux, or a format this does not know: start the command as it is.
        }
        return false;
    }

    /** Reads the rest of the command's output so it never blocks on a full pipe; ends when the command does. */
    private static void drain(BufferedReader out, List<String> into) {
        try {
            String line;
            while ((line = out.readLine()) != null) {
                into.add(line);
            }
        } catch (IOException e) {
            // The command was killed and its pipe closed: nothing more to read.
        }
    }

    /**
     * Why a command did not end: its output since it ran and its threads ({@code jcmd Thread.print}), which is how
     * the ignored SIGINT above was found.
     */
    private static String whyStillRunning(Running running) throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(running.process().pid()), "Thread.print").redirectErrorStream(true).start();
        String threads = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        jcmd.waitFor(30, TimeUnit.SECONDS);
        synchronized (running.later()) {
            return "its output since it ran:\n" + String.join("\n", running.later()) + "\nits threads:\n" + threads;
        }
    }

    private static void assertAllGone(List<Long> pids) {
        assertThat(pids).isNotEmpty();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(pids).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive))
                        .as("service process %d still running", pid).isEmpty()));
    }

    @Test
    void shouldPrintEndpointsAndStopEveryServiceOnCtrlC(@TempDir Path workDir) throws Exception {
        Running running = startUp(workDir);
        try {
            assertThat(running.output()).anyMatch(l -> l.startsWith("Ready in"));
            assertThat(running.output()).anyMatch(l -> l.matches("\\s+kafka\\s+127\\.0\\.0\\.1:\\d+\\s.*"));
            assertThat(running.output()).anyMatch(
                    l -> l.matches("\\s+schema-registry\\s+http://127\\.0\\.0\\.1:\\d+/apis/ccompat/v7\\s.*"));
            assertThat(running.output()).anyMatch(l -> l.matches("\\s+clickhouse\\s+http://127\\.0\\.0\\.1:\\d+\\s.*"));
            assertThat(running.servicePids()).as(String.join("\n", running.output())).hasSize(3);

            // Ctrl-C: SIGINT to the command.
            new ProcessBuilder("kill", "-INT", String.valueOf(running.process().pid())).start().waitFor();

            boolean ended = running.process().waitFor(60, TimeUnit.SECONDS);
            assertThat(ended).as("the command ended within 60 s of Ctrl-C; %s",
                    ended ? "" : whyStillRunning(running)).isTrue();
            assertAllGone(running.servicePids());
        } finally {
            running.process().destroyForcibly();
        }
    }

    @Test
    void shouldLeaveNoOrphanWhenTheCommandIsKilled(@TempDir Path workDir) throws Exception {
        Running running = startUp(workDir);
        try {
            assertThat(running.servicePids()).as(String.join("\n", running.output())).hasSize(3);

            running.process().destroyForcibly(); // kill -9: no shutdown hook runs
            running.process().waitFor(30, TimeUnit.SECONDS);

            assertAllGone(running.servicePids());
        } finally {
            running.process().destroyForcibly();
        }
    }
}
