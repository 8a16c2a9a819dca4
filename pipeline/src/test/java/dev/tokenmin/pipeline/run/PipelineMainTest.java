package dev.tokenmin.pipeline.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Invalid flags are refused before anything starts (exit 2); these runs start nothing. */
class PipelineMainTest {

    private static int run(Map<String, String> env, String... args) {
        return new CommandLine(new PipelineMain(env)).execute(args);
    }

    @Test
    void existingServicesNeedAllThree() {
        assertThat(run(Map.of(), "--kafka", "127.0.0.1:9092")).isEqualTo(2);
        assertThat(run(Map.of("TOKENMIN_BOOTSTRAP_SERVERS", "127.0.0.1:9092",
                "TOKENMIN_CLICKHOUSE_URL", "http://127.0.0.1:8123"))).isEqualTo(2);
    }

    @Test
    void aWorkDirInUseIsRefused(@TempDir Path work) throws Exception {
        try (FileChannel file = FileChannel.open(work.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock held = file.lock()) {
            assertThat(held.isValid()).isTrue();
            assertThat(run(Map.of(), "--work-dir", work.toString())).isEqualTo(2);
        }
    }

    @Test
    void rateSpeedDurationAndPartitionsAreChecked() {
        assertThat(run(Map.of(), "--rate", "0")).isEqualTo(2);
        assertThat(run(Map.of(), "--speed", "0")).isEqualTo(2);
        assertThat(run(Map.of(), "--speed", "100000")).isEqualTo(2);
        assertThat(run(Map.of(), "--duration", "PT5S")).isEqualTo(2);
        assertThat(run(Map.of(), "--duration", "5s")).isEqualTo(2);
        assertThat(run(Map.of(), "--duration", "soon")).isEqualTo(2);
        assertThat(run(Map.of(), "--partitions", "0")).isEqualTo(2);
    }
}
