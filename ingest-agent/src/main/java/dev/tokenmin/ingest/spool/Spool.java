package dev.tokenmin.ingest.spool;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A durable, append-only queue of events on local disk, between a gateway and Kafka. Events are appended to
 * segment files; one reader (the drainer) sends them on, and a segment is deleted only once every record in it has
 * been acknowledged. After a crash or restart every record still on disk is read again, so an event is sent at
 * least once (duplicates are removed downstream by event id).
 *
 * <p>Record format: payload length (int), CRC32C of the rest (int), append time (epoch millis, long), payload.
 * A record whose checksum fails is copied to {@code quarantine/}, counted and logged once, and skipped; a torn
 * record at the end of the newest segment (a write cut short by a crash, never reported durable) is cut off when
 * the spool opens.
 */
public final class Spool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    static final int HEADER_BYTES = 16;
    private static final String PREFIX = "segment-";
    private static final String SUFFIX = ".spool";

    /** Where an append went and when it is durable. */
    public record Appended(long segment, long offset, CompletableFuture<Void> durable) {
    }

    /** A record read back by the {@link Cursor}, to be {@link #acknowledge acknowledged} once Kafka has it. */
    public record SpoolRecord(Segment segment, long offset, long appendedAtMillis, byte[] payload) {
    }

    /** One segment file. */
    public static final class Segment {
        final long seq;
        final Path path;
        volatile long end;
        volatile boolean sealed;
        volatile long firstAppendedAt;
        final AtomicLong handedOut = new AtomicLong();
        final AtomicLong acknowledged = new AtomicLong();
        volatile boolean fullyRead;
        volatile boolean deleted;
        FileChannel writer;

        Segment(long seq, Path path) {
            this.seq = seq;
            this.path = path;
        }

        public long seq() {
            return seq;
        }
    }

    private record PendingSync(Segment segment, CompletableFuture<Void> future) {
    }

    private final SpoolConfig config;
    private final SpoolMetrics metrics;
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    private final AtomicLong totalBytes = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notFull = lock.newCondition();
    private final Condition syncWanted = lock.newCondition();
    private final ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
    private final CRC32C crc = new CRC32C();
    private List<PendingSync> pendingSyncs = new ArrayList<>();
    private Segment active;
    private volatile boolean closed;
    private final Thread flusher;

    private Spool(SpoolConfig config, SpoolMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        metrics.sources(totalBytes::get, this::oldestPendingAgeMillis);
        this.flusher = config.durability() == SpoolConfig.Durability.BATCHED
                ? Thread.ofPlatform().daemon().name("spool-fsync").unstarted(this::flushLoop) : null;
    }

    /** Opens the spool in {@code config.directory()}, recovering what a previous process left there. */
    public static Spool open(SpoolConfig config, SpoolMetrics metrics) {
        Spool spool = new Spool(config, metrics);
        try {
            Files.createDirectories(config.directory());
            spool.recover();
            spool.lock.lock();
            try {
                spool.roll();
            } finally {
                spool.lock.unlock();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the spool in " + config.directory(), e);
        }
        if (spool.flusher != null) {
            spool.flusher.start();
        }
        return spool;
    }

    private void recover() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(config.directory())) {
            files = list.filter(p -> p.getFileName().toString().startsWith(PREFIX)
                    && p.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
        }
        for (int i = 0; i < files.size(); i++) {
            Path file = files.get(i);
            String name = file.getFileName().toString();
            long seq = Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length()));
            Segment segment = new Segment(seq, file);
            segment.end = Files.size(file);
            if (i == files.size() - 1) {
                segment.end = validEnd(file, segment.end);
            }
            segment.sealed = true;
            segment.firstAppendedAt = firstAppendedAt(file, segment.end);
            segments.put(seq, segment);
            totalBytes.addAndGet(segment.end);
        }
        if (!files.isEmpty()) {
            LOG.info("spool {}: {} segment(s), {} bytes left by a previous run; sending them again",
                    config.directory(), files.size(), totalBytes.get());
        }
    }

    /** The end of the last whole record in the newest segment; a torn tail after it is cut off. */
    private long validEnd(Path file, long size) throws IOException {
        long position = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES);
            while (position + HEADER_BYTES <= size) {
                h.clear();
                readFully(ch, h, position);
                int length = h.getInt(0);
                if (length < 0 || length > config.maxRecordBytes() || position + HEADER_BYTES + length > size) {
                    break;
                }
                position += HEADER_BYTES + length;
            }
            if (position < size) {
                LOG.warn("spool segment {}: cut off {} byte(s) of a record torn by a crash (it was never reported "
                        + "durable)", file.getFileName(), size - position);
                ch.truncate(position);
                ch.force(true);
            }
        }
        return position;
    }

    private static long firstAppendedAt(Path file, long end) throws IOException {
        if (end < HEADER_BYTES) {
            return 0;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES);
            readFully(ch, h, 0);
            return h.getLong(8);
        }
    }

    /** Starts a new active segment, sealing the current one (forced to disk first). Call with the lock held. */
    private void roll() throws IOException {
        long seq = segments.isEmpty() ? 1 : segments.lastKey() + 1;
        if (active != null) {
            active.writer.force(false);
            active.sealed = true; // before closing: a concurrent fsync that finds it closed knows it was forced
            active.writer.close();
            completeSyncsOf(active);
        }
        Segment next = new Segment(seq, config.directory().resolve(String.format("%s%020d%s", PREFIX, seq, SUFFIX)));
        next.writer = FileChannel.open(next.path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        segments.put(seq, next);
        active = next;
    }

    /**
     * Appends one event. Returns once it is written (not yet necessarily on disk); its future completes when it
     * is durable.
     *
     * @throws SpoolFullException when the spool stays at its size limit (after waiting, with {@code BLOCK})
     * @throws IllegalArgumentException when the event is larger than {@code maxRecordBytes}
     */
    public Appended append(byte[] payload) {
        return append(payload, (segment, offset) -> { });
    }

    /**
     * The same, calling {@code beforeVisible} with the record's segment and offset before any reader can see the
     * record, so that state keyed by its position (such as an acknowledgement future) is in place first.
     */
    public Appended append(byte[] payload, BiConsumer<Long, Long> beforeVisible) {
        return appendAll(List.of(payload), beforeVisible).getFirst();
    }

    /**
     * Appends a batch of events all or nothing as far as room goes: it waits (or fails, per the overflow policy)
     * until the whole batch fits, so a refused batch leaves nothing behind that a retry would repeat. With
     * batched durability the records share one fsync.
     *
     * @throws SpoolFullException       when the spool stays too full for the batch
     * @throws IllegalArgumentException when an event is larger than {@code maxRecordBytes}, or the batch larger
     *                                  than the spool
     */
    public List<Appended> appendAll(List<byte[]> payloads, BiConsumer<Long, Long> beforeVisible) {
        long frames = 0;
        for (byte[] payload : payloads) {
            if (payload.length > config.maxRecordBytes()) {
                throw new IllegalArgumentException("event of " + payload.length + " bytes is larger than the spool's "
                        + "limit of " + config.maxRecordBytes() + " bytes per event");
            }
            frames += HEADER_BYTES + payload.length;
        }
        if (frames > config.maxBytes()) {
            throw new IllegalArgumentException("a batch of " + frames + " bytes is larger than the whole spool ("
                    + config.maxBytes() + " bytes)");
        }
        long now = System.currentTimeMillis();
        List<Appended> out = new ArrayList<>(payloads.size());
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("spool is closed");
            }
            waitForRoom(frames);
            for (byte[] payload : payloads) {
                out.add(write(payload, now, beforeVisible));
            }
            if (config.durability() == SpoolConfig.Durability.EVERY_RECORD) {
                active.writer.force(false);
                out.forEach(a -> a.durable().complete(null));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to spool segment " + active.path, e);
        } finally {
            lock.unlock();
        }
    }

    /** Writes one framed record to the active segment (rolling first if it would not fit). Call with the lock held. */
    private Appended write(byte[] payload, long now, BiConsumer<Long, Long> beforeVisible) throws IOException {
        long frame = HEADER_BYTES + payload.length;
        if (active.end > 0 && active.end + frame > config.segmentBytes()) {
            roll(); // forces the old segment; with EVERY_RECORD the batch completes after its last force
        }
        crc.reset();
        header.clear();
        header.putLong(8, now);
        crc.update(header.array(), 8, 8);
        crc.update(payload, 0, payload.length);
        header.putInt(0, payload.length).putInt(4, (int) crc.getValue());
        ByteBuffer[] buffers = {header.clear(), ByteBuffer.wrap(payload)};
        long offset = active.end;
        long written = 0;
        while (written < frame) {
            written += active.writer.write(buffers);
        }
        if (offset == 0) {
            active.firstAppendedAt = now;
        }
        beforeVisible.accept(active.seq, offset);
        active.end = offset + frame;
        totalBytes.addAndGet(frame);
        metrics.spooled.incrementAndGet();
        CompletableFuture<Void> durable = new CompletableFuture<>();
        if (config.durability() == SpoolConfig.Durability.BATCHED) {
            pendingSyncs.add(new PendingSync(active, durable));
            if (pendingSyncs.size() == 1) {
                syncWanted.signal();
            }
        }
        return new Appended(active.seq, offset, durable);
    }

    private void waitForRoom(long frame) {
        long remaining = config.blockTimeout().toNanos();
        while (totalBytes.get() + frame > config.maxBytes()) {
            if (config.overflow() == SpoolConfig.Overflow.REJECT || remaining <= 0) {
                metrics.rejected.incrementAndGet();
                throw new SpoolFullException("spool " + config.directory() + " is full (" + totalBytes.get()
                        + " of " + config.maxBytes() + " bytes waiting for Kafka)"
                        + (config.overflow() == SpoolConfig.Overflow.BLOCK
                        ? "; waited " + config.blockTimeout().toMillis() + " ms" : ""));
            }
            try {
                remaining = notFull.awaitNanos(remaining);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                metrics.rejected.incrementAndGet();
                throw new SpoolFullException("interrupted while waiting for room in spool " + config.directory());
            }
        }
    }

    /** Batched durability: one fsync for everything appended in the last {@code fsyncMaxDelay}. */
    private void flushLoop() {
        long delayNanos = config.fsyncMaxDelay().toNanos();
        while (true) {
            lock.lock();
            try {
                while (pendingSyncs.isEmpty() && !closed) {
                    syncWanted.awaitUninterruptibly();
                }
                if (pendingSyncs.isEmpty()) {
                    return;
                }
            } finally {
                lock.unlock();
            }
            if (!closed) {
                LockSupport.parkNanos(delayNanos); // let more appends join this fsync
            }
            List<PendingSync> batch;
            Segment target;
            lock.lock();
            try {
                batch = pendingSyncs;
                pendingSyncs = new ArrayList<>();
                target = active;
            } finally {
                lock.unlock();
            }
            // Forced outside the lock, so appends go on while the disk works. Syncs of a segment sealed meanwhile
            // were completed when it was sealed (and forced); only the active one's are in this batch.
            IOException failure = null;
            try {
                target.writer.force(false);
            } catch (ClosedChannelException e) {
                if (!target.sealed) {
                    failure = e;
                }
            } catch (IOException e) {
                failure = e;
            }
            if (failure != null) {
                LOG.error("spool fsync failed in {}: {}", config.directory(), failure.toString());
                IOException cause = failure;
                batch.forEach(p -> p.future().completeExceptionally(cause));
                continue;
            }
            batch.forEach(p -> p.future().complete(null));
        }
    }

    /** Completes the pending syncs of a segment that was just forced and sealed. Call with the lock held. */
    private void completeSyncsOf(Segment segment) {
        List<PendingSync> rest = new ArrayList<>();
        for (PendingSync p : pendingSyncs) {
            if (p.segment() == segment) {
                p.future().complete(null);
            } else {
                rest.add(p);
            }
        }
        pendingSyncs = rest;
    }

    /** A reader from the oldest record on; the drainer owns exactly one. */
    public Cursor cursor() {
        return new Cursor();
    }

    /** Tells the spool that Kafka has the record; a sealed segment whose records are all acknowledged is deleted. */
    public void acknowledge(SpoolRecord record) {
        record.segment().acknowledged.incrementAndGet();
        metrics.sent.incrementAndGet();
        deleteIfDone(record.segment());
    }

    /**
     * Sets aside a record that was read whole but cannot be sent (it does not decode, or Kafka refuses it for
     * good): its bytes go to {@code quarantine/}, it is counted as corrupted and logged, and it no longer holds its
     * segment back. Nothing is dropped without a trace.
     */
    public void reject(SpoolRecord record, String reason) {
        metrics.corrupted.incrementAndGet();
        try {
            Path dir = Files.createDirectories(config.directory().resolve("quarantine"));
            Path target = dir.resolve(record.segment().path.getFileName() + "." + record.offset() + ".rejected");
            Files.write(target, record.payload());
            LOG.warn("spool: set aside the record at {}:{} ({}) in {}", record.segment().path.getFileName(),
                    record.offset(), reason, target);
        } catch (IOException e) {
            LOG.error("spool: cannot set aside the record at {}:{} ({}): {}; it stays in its segment",
                    record.segment().path.getFileName(), record.offset(), reason, e.toString());
            return;
        }
        record.segment().acknowledged.incrementAndGet();
        deleteIfDone(record.segment());
    }

    private void deleteIfDone(Segment segment) {
        if (!segment.sealed || !segment.fullyRead || segment.acknowledged.get() < segment.handedOut.get()) {
            return;
        }
        lock.lock();
        try {
            if (segment.deleted) {
                return;
            }
            segment.deleted = true;
            segments.remove(segment.seq);
            Files.deleteIfExists(segment.path);
            totalBytes.addAndGet(-segment.end);
            notFull.signalAll();
        } catch (IOException e) {
            LOG.error("cannot delete drained spool segment {}: {}", segment.path, e.toString());
        } finally {
            lock.unlock();
        }
    }

    /** A fully read active segment this large is sealed, so it can be deleted once acknowledged. */
    private long idleRollBytes() {
        return Math.min(config.segmentBytes(), 1L << 20);
    }

    /** Seals {@code segment} if it is still the active one and nothing was appended past {@code end}. */
    private boolean rollIfStillActive(Segment segment, long end) throws IOException {
        lock.lock();
        try {
            if (closed || segment != active || segment.end != end) {
                return false;
            }
            roll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    private long oldestPendingAgeMillis() {
        for (Map.Entry<Long, Segment> e : segments.entrySet()) {
            Segment s = e.getValue();
            if (!s.deleted && s.end > 0 && s.firstAppendedAt > 0) {
                return Math.max(0, System.currentTimeMillis() - s.firstAppendedAt);
            }
        }
        return 0;
    }

    public SpoolMetrics metrics() {
        return metrics;
    }

    public SpoolConfig config() {
        return config;
    }

    /** Bytes in the spool not yet acknowledged. */
    public long pendingBytes() {
        return totalBytes.get();
    }

    /** Forces what was written to disk and closes the spool; what is not yet sent stays for the next start. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            syncWanted.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
        if (flusher != null) {
            try {
                flusher.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        lock.lock();
        try {
            active.writer.force(false);
            active.sealed = true;
            active.writer.close();
            completeSyncsOf(active);
            if (active.end == 0) {
                segments.remove(active.seq);
                Files.deleteIfExists(active.path);
            }
        } catch (IOException e) {
            LOG.error("cannot close spool segment {}: {}", active.path, e.toString());
        } finally {
            lock.unlock();
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = ch.read(buffer, at);
            if (n < 0) {
                throw new IOException("unexpected end of spool segment at " + at);
            }
            at += n;
        }
    }

    /**
     * Reads records in append order, across segments, up to what has been written. Not thread-safe: one drainer.
     */
    public final class Cursor implements AutoCloseable {
        private Segment segment;
        private long offset;
        private FileChannel channel;
        private final ByteBuffer headerBuffer = ByteBuffer.allocate(HEADER_BYTES);
        private final CRC32C check = new CRC32C();

        private Cursor() {
        }

        /** The next record, or null when everything written so far has been read. */
        public SpoolRecord next() {
            try {
                while (true) {
                    if (segment == null || segment.deleted) {
                        Map.Entry<Long, Segment> first = segment == null ? segments.firstEntry()
                                : segments.higherEntry(segment.seq);
                        if (first == null) {
                            return null;
                        }
                        open(first.getValue());
                    }
                    long end = segment.end;
                    if (offset + HEADER_BYTES <= end) {
                        SpoolRecord record = read(end);
                        if (record != null) {
                            return record;
                        }
                        continue;
                    }
                    if (!segment.sealed) {
                        if (end < idleRollBytes() || !rollIfStillActive(segment, end)) {
                            return null;
                        }
                        continue; // now sealed: finish it and move on
                    }
                    Map.Entry<Long, Segment> following = segments.higherEntry(segment.seq);
                    segment.fullyRead = true;
                    Segment done = segment;
                    closeChannel();
                    deleteIfDone(done);
                    if (following == null) {
                        segment = done; // stay until a newer segment appears
                        return null;
                    }
                    open(following.getValue());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read spool segment " + segment.path, e);
            }
        }

        private void open(Segment next) throws IOException {
            closeChannel();
            segment = next;
            offset = 0;
            channel = FileChannel.open(next.path, StandardOpenOption.READ);
        }

        private SpoolRecord read(long end) throws IOException {
            headerBuffer.clear();
            readFully(channel, headerBuffer, offset);
            int length = headerBuffer.getInt(0);
            int expectedCrc = headerBuffer.getInt(4);
            long appendedAt = headerBuffer.getLong(8);
            if (length < 0 || length > config.maxRecordBytes() || offset + HEADER_BYTES + length > end) {
                quarantine(offset, end, "an impossible length " + length + "; the rest of the segment");
                offset = end;
                return null;
            }
            byte[] payload = new byte[length];
            readFully(channel, ByteBuffer.wrap(payload), offset + HEADER_BYTES);
            check.reset();
            check.update(headerBuffer.array(), 8, 8);
            check.update(payload, 0, payload.length);
            long at = offset;
            offset += HEADER_BYTES + length;
            if ((int) check.getValue() != expectedCrc) {
                quarantine(at, offset, "a checksum mismatch");
                return null;
            }
            segment.handedOut.incrementAndGet();
            return new SpoolRecord(segment, at, appendedAt, payload);
        }

        private void quarantine(long from, long to, String reason) throws IOException {
            metrics.corrupted.incrementAndGet();
            Path dir = Files.createDirectories(config.directory().resolve("quarantine"));
            Path target = dir.resolve(segment.path.getFileName() + "." + from + ".bad");
            ByteBuffer bytes = ByteBuffer.allocate((int) Math.min(to - from, Integer.MAX_VALUE - 8));
            readFully(channel, bytes, from);
            Files.write(target, bytes.array());
            LOG.warn("spool segment {}: quarantined {} byte(s) at offset {} with {} to {}",
                    segment.path.getFileName(), to - from, from, reason, target);
        }

        private void closeChannel() throws IOException {
            if (channel != null) {
                channel.close();
                channel = null;
            }
        }

        @Override
        public void close() {
            try {
                closeChannel();
            } catch (IOException e) {
                LOG.warn("cannot close a spool reader: {}", e.toString());
            }
        }
    }
}
