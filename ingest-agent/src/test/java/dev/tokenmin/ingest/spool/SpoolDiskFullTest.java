package dev.tokenmin.ingest.spool;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The spool on a real disk that fills up: a 96 KiB tmpfs mounted for the test. Appends go on into memory while the
 * writer retries, then the caller gets a clear error naming the disk's failure; no acknowledged event is lost, and
 * once there is room again everything queued is written and the spool reopens intact (nothing corrupted, nothing
 * quarantined). Mounting needs root (CAP_SYS_ADMIN), as on CI; elsewhere the test is skipped and says why.
 */
class SpoolDiskFullTest {

    private static byte[] event(int i) {
        return ("event-" + i + "-" + "x".repeat(100)).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldReportAFullDiskClearlyAndLoseOrCorruptNothing(@TempDir Path dir) throws Exception {
        Path disk = Files.createDirectories(dir.resolve("disk"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=96k", "tokenmin-spool-test", disk.toString()),
                "mounting a 96 KiB tmpfs needs root (CAP_SYS_ADMIN); this machine refused");
        try {
            SpoolConfig config = SpoolConfig.defaults(disk.resolve("spool")).withLimits(16 * 1024, 1024 * 1024)
                    .withOverflow(SpoolConfig.Overflow.BLOCK, Duration.ofSeconds(2));
            SpoolMetrics metrics = new SpoolMetrics();
            List<CompletableFuture<Void>> durable = new ArrayList<>();
            SpoolFullException refused = null;
            try (Spool spool = Spool.open(config, metrics)) {
                for (int i = 0; i < 100; i++) { // written while there is room
                    durable.add(spool.append(event(durable.size())).durable());
                }
                durable.getLast().get(10, TimeUnit.SECONDS);
                while (refused == null) {
                    try {
                        durable.add(spool.append(event(durable.size())).durable());
                    } catch (SpoolFullException e) {
                        refused = e;
                    }
                }
                long onDisk = durable.stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count();
                System.out.printf("[SpoolDiskFullTest] disk full after %,d events written; %,d more queued in memory; "
                        + "then: %s%n", onDisk, durable.size() - onDisk, refused.getMessage());
                assertThat(refused.getMessage()).contains("is full", "writing to disk fails",
                        "No space left on device");
                assertThat(onDisk).as("acknowledged before the disk filled").isGreaterThanOrEqualTo(100)
                        .isLessThan(durable.size());

                // Room again: the writer, retrying every second, writes everything that was queued.
                assertThat(run("mount", "-o", "remount,size=2m", disk.toString())).as("tmpfs grown").isTrue();
                CompletableFuture.allOf(durable.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            }

            SpoolMetrics reopened = new SpoolMetrics();
            List<String> read = new ArrayList<>();
            try (Spool spool = Spool.open(config, reopened); Spool.Cursor cursor = spool.cursor()) {
                Spool.SpoolRecord r;
                while ((r = cursor.next()) != null) {
                    read.add(new String(r.payload(), StandardCharsets.UTF_8));
                }
            }
            assertThat(read).as("every accepted event, in order, after a reopen").hasSize(durable.size());
            for (int i = 0; i < read.size(); i++) {
                assertThat(read.get(i)).isEqualTo(new String(event(i), StandardCharsets.UTF_8));
            }
            assertThat(reopened.corrupted()).as("corrupted or quarantined records").isZero();
        } finally {
            run("umount", "-l", disk.toString());
        }
    }

    private static boolean run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
}
