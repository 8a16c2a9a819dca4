package dev.tokenmin.ingest.spool;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class SpoolTest {

    private static SpoolConfig small(Path dir) {
        return SpoolConfig.defaults(dir).withLimits(4096, 64 * 1024);
    }

    private static byte[] event(int i) {
        return ("event-" + i + "-" + "x".repeat(100)).getBytes(StandardCharsets.UTF_8);
    }

    private static List<Spool.SpoolRecord> drain(Spool.Cursor cursor) {
        List<Spool.SpoolRecord> out = new ArrayList<>();
        Spool.SpoolRecord r;
        while ((r = cursor.next()) != null) {
            out.add(r);
        }
        return out;
    }

    private static List<Path> segmentFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".spool")).sorted().toList();
        }
    }

    @Test
    void shouldHandBackEveryEventInOrderAndDeleteSegmentsOnceAcknowledged(@TempDir Path dir) throws Exception {
        SpoolMetrics metrics = new SpoolMetrics();
        try (Spool spool = Spool.open(small(dir), metrics); Spool.Cursor cursor = spool.cursor()) {
            List<CompletableFuture<Void>> durable = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                durable.add(spool.append(event(i)).durable());
            }
            CompletableFuture.allOf(durable.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
            assertThat(segmentFiles(dir)).hasSizeGreaterThan(3);

            List<Spool.SpoolRecord> records = drain(cursor);

            assertThat(records).extracting(r -> new String(r.payload(), StandardCharsets.UTF_8))
                    .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 200)
                            .mapToObj(i -> new String(event(i), StandardCharsets.UTF_8)).toList());
            assertThat(metrics.pendingBytes()).isPositive();
            records.forEach(spool::acknowledge);
            drain(cursor);
            assertThat(segmentFiles(dir)).as("only the active segment is left").hasSize(1);
            assertThat(metrics.spooled()).isEqualTo(200);
            assertThat(metrics.sent()).isEqualTo(200);
        }
    }

    @Test
    void shouldSendUnacknowledgedEventsAgainAfterARestart(@TempDir Path dir) throws Exception {
        try (Spool spool = Spool.open(small(dir), new SpoolMetrics()); Spool.Cursor cursor = spool.cursor()) {
            CompletableFuture<Void> last = null;
            for (int i = 0; i < 50; i++) {
                last = spool.append(event(i)).durable();
            }
            last.get(5, TimeUnit.SECONDS);
            List<Spool.SpoolRecord> first = drain(cursor);
            first.subList(0, 10).forEach(spool::acknowledge);
        }

        try (Spool spool = Spool.open(small(dir), new SpoolMetrics()); Spool.Cursor cursor = spool.cursor()) {
            List<Spool.SpoolRecord> again = drain(cursor);
            // Whole segments that were acknowledged are gone; the rest comes again (duplicates are expected).
            assertThat(again).hasSizeBetween(40, 50);
            assertThat(new String(again.getLast().payload(), StandardCharsets.UTF_8))
                    .isEqualTo(new String(event(49), StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldCutOffATornRecordLeftByACrash(@TempDir Path dir) throws IOException {
        try (Spool spool = Spool.open(small(dir), new SpoolMetrics())) {
            for (int i = 0; i < 5; i++) {
                spool.append(event(i));
            }
        }
        Path newest = segmentFiles(dir).getLast();
        Files.write(newest, new byte[] {0, 0, 0, 100, 1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);

        SpoolMetrics metrics = new SpoolMetrics();
        try (Spool spool = Spool.open(small(dir), metrics); Spool.Cursor cursor = spool.cursor()) {
            assertThat(drain(cursor)).hasSize(5);
            assertThat(metrics.corrupted()).isZero();
        }
    }

    @Test
    void shouldQuarantineARecordThatFailsItsChecksumAndKeepGoing(@TempDir Path dir) throws IOException {
        try (Spool spool = Spool.open(small(dir), new SpoolMetrics())) {
            for (int i = 0; i < 5; i++) {
                spool.append(event(i));
            }
        }
        Path segment = segmentFiles(dir).getFirst();
        int recordBytes = Spool.HEADER_BYTES + event(0).length;
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            long inSecondPayload = recordBytes + Spool.HEADER_BYTES + 3;
            file.seek(inSecondPayload);
            int b = file.read();
            file.seek(inSecondPayload);
            file.write(b ^ 0xff);
        }

        SpoolMetrics metrics = new SpoolMetrics();
        try (Spool spool = Spool.open(small(dir), metrics); Spool.Cursor cursor = spool.cursor()) {
            List<Spool.SpoolRecord> records = drain(cursor);

            assertThat(records).extracting(r -> new String(r.payload(), StandardCharsets.UTF_8)).containsExactly(
                    new String(event(0), StandardCharsets.UTF_8), new String(event(2), StandardCharsets.UTF_8),
                    new String(event(3), StandardCharsets.UTF_8), new String(event(4), StandardCharsets.UTF_8));
            assertThat(metrics.corrupted()).isEqualTo(1);
            try (Stream<Path> quarantined = Files.list(dir.resolve("quarantine"))) {
                assertThat(quarantined.toList()).hasSize(1);
            }
        }
    }

    @Test
    void shouldRejectWhenFullAndNeverDropSilently(@TempDir Path dir) {
        SpoolConfig config = small(dir).withLimits(4096, 4096).withOverflow(SpoolConfig.Overflow.REJECT, Duration.ZERO);
        SpoolMetrics metrics = new SpoolMetrics();
        try (Spool spool = Spool.open(config, metrics)) {
            int accepted = 0;
            while (true) {
                try {
                    spool.append(event(accepted));
                    accepted++;
                } catch (SpoolFullException e) {
                    assertThat(e).hasMessageContaining("is full").hasMessageContaining("of 4096 bytes");
                    break;
                }
            }
            assertThat(accepted).isPositive();
            assertThat(metrics.spooled()).isEqualTo(accepted);
            assertThat(metrics.rejected()).isEqualTo(1);
        }
    }

    @Test
    void shouldMakeABlockedAppendWaitForRoomAndGoOnOnceKafkaTakesEvents(@TempDir Path dir) throws Exception {
        SpoolConfig config = small(dir).withLimits(2048, 4096)
                .withOverflow(SpoolConfig.Overflow.BLOCK, Duration.ofSeconds(10));
        try (Spool spool = Spool.open(config, new SpoolMetrics()); Spool.Cursor cursor = spool.cursor()) {
            int i = 0;
            while (spool.pendingBytes() + Spool.HEADER_BYTES + event(i).length <= 4096) {
                spool.append(event(i++));
            }
            int next = i;
            CompletableFuture<Spool.Appended> blocked = CompletableFuture.supplyAsync(() -> spool.append(event(next)));
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                    .until(() -> !blocked.isDone());

            drain(cursor).forEach(spool::acknowledge);

            assertThat(blocked.get(5, TimeUnit.SECONDS).durable().get(5, TimeUnit.SECONDS)).isNull();
        }
    }

    @Test
    void shouldGiveUpABlockedAppendAfterItsTimeout(@TempDir Path dir) {
        SpoolConfig config = small(dir).withLimits(4096, 4096)
                .withOverflow(SpoolConfig.Overflow.BLOCK, Duration.ofMillis(200));
        SpoolMetrics metrics = new SpoolMetrics();
        try (Spool spool = Spool.open(config, metrics)) {
            assertThatThrownBy(() -> {
                for (int i = 0; i < 1000; i++) {
                    spool.append(event(i));
                }
            }).isInstanceOf(SpoolFullException.class).hasMessageContaining("waited 200 ms");
            assertThat(metrics.rejected()).isEqualTo(1);
        }
    }

    @Test
    void shouldSyncEveryRecordWithoutWaitingForTheBatchingDelay(@TempDir Path dir) throws Exception {
        SpoolConfig hourlyBatches = new SpoolConfig(dir, 4096, 64 * 1024, 4096, SpoolConfig.Durability.EVERY_RECORD,
                Duration.ofHours(1), SpoolConfig.Overflow.BLOCK, Duration.ofSeconds(1));
        try (Spool spool = Spool.open(hourlyBatches, new SpoolMetrics())) {
            // With batched durability this would wait an hour; with every record it is on disk at once.
            spool.append(event(1)).durable().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldWriteBehindASlowFsyncAndReportEachEventDurableOnlyAfterItsOwnFsync(@TempDir Path dir)
            throws Exception {
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger forces = new AtomicInteger();
        Spool.Fsync slowFirst = channel -> {
            if (forces.incrementAndGet() == 1) { // the first fsync stalls, as a busy disk's do
                stalled.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            channel.force(false);
        };
        try (Spool spool = Spool.open(small(dir), new SpoolMetrics(), slowFirst);
             Spool.Cursor cursor = spool.cursor()) {
            CompletableFuture<Void> first = spool.append(event(1)).durable();
            assertThat(stalled.await(10, TimeUnit.SECONDS)).as("the first fsync started").isTrue();
            CompletableFuture<Void> second = spool.append(event(2)).durable();

            // The second event is written and readable while the first one's fsync is still stalled.
            List<String> read = new ArrayList<>();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                drain(cursor).forEach(r -> read.add(new String(r.payload(), StandardCharsets.UTF_8)));
                return read.size() == 2;
            });
            assertThat(read).containsExactly(new String(event(1), StandardCharsets.UTF_8),
                    new String(event(2), StandardCharsets.UTF_8));
            assertThat(first).as("durable before its fsync returned").isNotDone();
            assertThat(second).as("durable before any fsync covering it").isNotDone();

            release.countDown();
            CompletableFuture.allOf(first, second).get(10, TimeUnit.SECONDS);
            assertThat(forces.get()).as("the second event had an fsync of its own").isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void shouldWriteWhatIsQueuedWhenClosedSoNothingAcceptedIsLost(@TempDir Path dir) {
        SpoolConfig hourlyBatches = new SpoolConfig(dir, 4096, 64 * 1024, 4096, SpoolConfig.Durability.BATCHED,
                Duration.ofHours(1), SpoolConfig.Overflow.BLOCK, Duration.ofSeconds(1));
        List<CompletableFuture<Void>> durable = new ArrayList<>();
        try (Spool spool = Spool.open(hourlyBatches, new SpoolMetrics())) {
            for (int i = 0; i < 100; i++) {
                durable.add(spool.append(event(i)).durable());
            }
        }
        assertThat(durable).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        try (Spool spool = Spool.open(small(dir), new SpoolMetrics()); Spool.Cursor cursor = spool.cursor()) {
            assertThat(drain(cursor)).hasSize(100);
        }
    }

    @Test
    void shouldRefuseAnEventLargerThanTheLimitWithItsSize(@TempDir Path dir) {
        try (Spool spool = Spool.open(small(dir), new SpoolMetrics())) {
            assertThatThrownBy(() -> spool.append(new byte[5000]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("5000 bytes");
        }
    }
}
