package dev.tokenmin.localstack.process;

import dev.tokenmin.localstack.ServiceStartException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChildProcessTest {

    @Test
    void shouldNameTheServiceAndItsLogWhenTheProcessExitsBeforeItIsReady(@TempDir Path dir) {
        Path log = dir.resolve("probe.log");
        // A JVM that cannot find its main class exits at once with code 1.
        ChildProcess child = ChildProcess.startJava("probe", List.of("no.such.MainClass"), dir, log, Map.of());

        assertThatThrownBy(() -> child.awaitReady(Duration.ofSeconds(30), () -> false))
                .isInstanceOf(ServiceStartException.class)
                .hasMessageContaining("probe failed to start: exited with code 1 before it was ready")
                .hasMessageContaining("log: " + log)
                .hasMessageContaining("no.such.MainClass")
                .satisfies(e -> assertThat(((ServiceStartException) e).service()).isEqualTo("probe"));
        child.close();
    }

    @Test
    void shouldGiveUpAtTheDeadlineAndKillTheProcess(@TempDir Path dir) throws IOException {
        Path log = dir.resolve("sleeper.log");
        // The injected fault: a service that never gets ready (a child program that only sleeps).
        Path sleeper = Files.writeString(dir.resolve("Sleeper.java"),
                "class Sleeper { public static void main(String[] a) throws Exception { Thread.sleep(600_000); } }");
        ChildProcess child = ChildProcess.startJava("sleeper", List.of(sleeper.toString()), dir, log, Map.of());

        assertThatThrownBy(() -> child.awaitReady(Duration.ofMillis(500), () -> false))
                .isInstanceOf(ServiceStartException.class)
                .hasMessageContaining("sleeper failed to start: not ready within 0 s");
        assertThat(child.isAlive()).isFalse();
        child.close();
    }
}
