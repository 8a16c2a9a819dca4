package dev.tokenmin.ingest.spool;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
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

    /** How a segment's written bytes reach the disk: {@code FileChannel.force}; a test may stall it. */
    @FunctionalInterface
    interface Fsync {
        void force(FileChannel channel) throws IOException;
    }

    /** An event accepted into the spool, waiting for the writer; its place in the spool is fixed at append. */
    private record Frame(long seq, long offset, byte[] payload, long appendedAt, CompletableFuture<Void> durable) {
    }

    private final SpoolConfig config;
    private final SpoolMetrics metrics;
    private final Fsync fsync;
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    /** Bytes accepted and not yet acknowledged, written or still queued: what the size limit counts. */
    private final AtomicLong totalBytes = new AtomicLong();
    /** Guards what appenders share (the queue, the spool's logical end, room); never held during disk I/O. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notFull = lock.newCondition();
    private final Condition work = lock.newCondition();
    private final Condition syncWork = lock.newCondition();
    private List<Frame> queue = new ArrayList<>();
    /** Frames written (visible to the cursor) and waiting for their fsync, in write order; taken by the syncer. */
    private List<Frame> unsynced = new ArrayList<>();
    /** Set once the writer thread has stopped: the syncer forces what is left and stops too. */
    private boolean writerDone;
    private long logicalSeq;
    private long logicalEnd;
    private Segment idleRollRequest;
    private volatile boolean closed;
    /** The segment the writer appends to; only the writer thread changes it once the spool is open. */
    private volatile Segment active;
    private final Thread writer;
    private final Thread syncer;
    /**
     * Held while a segment's channel is forced, and while the writer seals and closes one; so the syncer never forces a
     * closed channel, and a closed channel was always forced first.
     */
    private final Object channels = new Object();
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer stamp = ByteBuffer.allocate(8);
    private ByteBuffer writeBuffer = ByteBuffer.allocateDirect(1 << 20);
    private volatile IOException writeFailure;
    /** How many frames of the writer's current batch are written; a retry goes on from there. Writer thread only. */
    private int written;

    private Spool(SpoolConfig config, SpoolMetrics metrics, Fsync fsync) {
        this.config = config;
        this.metrics = metrics;
        this.fsync = fsync;
        metrics.sources(totalBytes::get, this::oldestPendingAgeMillis);
        this.writer = Thread.ofPlatform().daemon().name("spool-writer").unstarted(this::writeLoop);
        this.syncer = Thread.ofPlatform().daemon().name("spool-sync").unstarted(this::syncLoop);
    }

    /** Opens the spool in {@code config.directory()}, recovering what a previous process left there. */
    public static Spool open(SpoolConfig config, SpoolMetrics metrics) {
        return open(config, metrics, channel -> channel.force(false));
    }

    /** The same, reaching the disk through {@code fsync}: a test's way to make an fsync slow. */
    static Spool open(SpoolConfig config, SpoolMetrics metrics, Fsync fsync) {
        Spool spool = new Spool(config, metrics, fsync);
        try {
            Files.createDirectories(config.directory());
            spool.recover();
            spool.startSegment(spool.segments.isEmpty() ? 1 : spool.segments.lastKey() + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the spool in " + config.directory(), e);
        }
        spool.logicalSeq = spool.active.seq;
        spool.writer.start();
        spool.syncer.start();
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

    /** Creates segment {@code seq} and makes it the one the writer appends to. */
    private void startSegment(long seq) throws IOException {
        Segment next = new Segment(seq, config.directory().resolve(String.format("%s%020d%s", PREFIX, seq, SUFFIX)));
        next.writer = FileChannel.open(next.path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        segments.put(seq, next);
        active = next;
    }

    /** Forces the active segment to disk, seals and closes it, and starts segment {@code seq}. Writer thread only. */
    private void rollTo(long seq) throws IOException {
        Segment old = active;
        synchronized (channels) {
            fsync.force(old.writer);
            old.sealed = true;
            old.writer.close();
        }
        startSegment(seq);
    }

    /**
     * Appends one event. Returns once it is queued for the spool's writer, which writes it within
     * {@code fsyncMaxDelay} (at once with {@code EVERY_RECORD}); its future completes when it is on disk.
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
     * until the whole batch fits, so a refused batch leaves nothing behind that a retry would repeat.
     *
     * <p>The caller pays for a copy into the queue, not for disk I/O: one writer thread writes what is queued in
     * large positional writes (batched: after at most {@code fsyncMaxDelay}; every record: at once), which the
     * drainer can read from then on, and a second thread fsyncs what was written and completes the {@code durable}
     * futures. A slow fsync delays only the futures, not the writes behind it. A process that dies loses what it
     * queued but had not yet reported durable; a caller that must not lose an event across a crash waits for
     * {@code durable}, as the sidecar does before it answers 202.
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
            totalBytes.addAndGet(frames);
            boolean wasIdle = queue.isEmpty();
            for (byte[] payload : payloads) {
                long frame = HEADER_BYTES + payload.length;
                if (logicalEnd > 0 && logicalEnd + frame > config.segmentBytes()) {
                    logicalSeq++;
                    logicalEnd = 0;
                }
                long offset = logicalEnd;
                logicalEnd += frame;
                beforeVisible.accept(logicalSeq, offset);
                CompletableFuture<Void> durable = new CompletableFuture<>();
                queue.add(new Frame(logicalSeq, offset, payload, now, durable));
                out.add(new Appended(logicalSeq, offset, durable));
            }
            metrics.spooled.addAndGet(payloads.size());
            if (wasIdle) {
                work.signal();
            }
        } finally {
            lock.unlock();
        }
        return out;
    }

    private void waitForRoom(long frame) {
        long remaining = config.blockTimeout().toNanos();
        while (totalBytes.get() + frame > config.maxBytes()) {
            if (config.overflow() == SpoolConfig.Overflow.REJECT || remaining <= 0) {
                metrics.rejected.incrementAndGet();
                IOException failing = writeFailure;
                throw new SpoolFullException("spool " + config.directory() + " is full (" + totalBytes.get()
                        + " of " + config.maxBytes() + " bytes waiting for Kafka)"
                        + (config.overflow() == SpoolConfig.Overflow.BLOCK
                        ? "; waited " + config.blockTimeout().toMillis() + " ms" : "")
                        + (failing != null ? "; writing to disk fails: " + failing.getMessage() : ""));
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

    /**
     * The writer thread: takes what appenders queued, writes it with one positional write per segment, and hands it
     * to the syncer. A failing disk (full, say) is retried every second without losing the queue; meanwhile the
     * spool fills and back-pressure applies.
     */
    private void writeLoop() {
        try {
            long delayNanos = config.durability() == SpoolConfig.Durability.BATCHED
                    ? config.fsyncMaxDelay().toNanos() : 0;
            while (true) {
                lock.lock();
                try {
                    while (queue.isEmpty() && idleRollRequest == null && !closed) {
                        work.awaitUninterruptibly();
                    }
                    if (queue.isEmpty() && idleRollRequest == null) {
                        return; // closed, and everything is written
                    }
                } finally {
                    lock.unlock();
                }
                if (delayNanos > 0 && !closed) {
                    LockSupport.parkNanos(delayNanos); // let more appends join this write and its fsync
                }
                List<Frame> batch;
                Segment rollRequest;
                lock.lock();
                try {
                    batch = queue;
                    queue = new ArrayList<>();
                    rollRequest = idleRollRequest;
                    idleRollRequest = null;
                } finally {
                    lock.unlock();
                }
                if (!writeVisible(batch)) {
                    return; // closed while the disk kept failing; reported on the futures
                }
                if (rollRequest != null && rollRequest == active) {
                    try {
                        rollTo(rollRequest.seq + 1);
                    } catch (IOException e) {
                        LOG.error("spool: cannot start a new segment in {}: {}", config.directory(), e.toString());
                    }
                }
            }
        } finally {
            lock.lock();
            try {
                writerDone = true;
                syncWork.signal();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Writes {@code batch}, retrying while the disk fails, and hands it to the syncer; false when closed before it
     * succeeded.
     */
    private boolean writeVisible(List<Frame> batch) {
        written = 0;
        // After a failure, write goes on from the first frame not yet written.
        if (!untilDone(batch, "write", () -> write(batch))) {
            return false;
        }
        lock.lock();
        try {
            boolean wasIdle = unsynced.isEmpty();
            unsynced.addAll(batch);
            if (wasIdle) {
                syncWork.signal();
            }
        } finally {
            lock.unlock();
        }
        return true;
    }

    /** A disk operation of the writer or the syncer. */
    @FunctionalInterface
    private interface DiskStep {
        void run() throws IOException;
    }

    /**
     * Runs {@code step} until it succeeds, once a second while the disk fails (logged once, and named in
     * {@link SpoolFullException}s meanwhile); false, with {@code batch}'s futures failed, when the spool is closed
     * before it succeeded.
     */
    private boolean untilDone(List<Frame> batch, String what, DiskStep step) {
        boolean failing = false;
        while (true) {
            try {
                step.run();
                if (failing) {
                    LOG.info("spool: {} in {} works again", what, config.directory());
                    writeFailure = null;
                }
                return true;
            } catch (IOException e) {
                if (!failing) {
                    LOG.error("spool cannot {} in {}: {}; retrying every second, events stay queued", what,
                            config.directory(), e.toString());
                    failing = true;
                }
                writeFailure = e;
                if (closed) {
                    batch.forEach(f -> f.durable().completeExceptionally(e));
                    return false;
                }
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
            }
        }
    }

    /**
     * The syncer thread: forces what the writer wrote, then completes its durable futures; what the writer writes
     * meanwhile waits for the next force. Stops once the writer has stopped and everything written is forced.
     */
    private void syncLoop() {
        while (true) {
            List<Frame> batch;
            lock.lock();
            try {
                while (unsynced.isEmpty() && !writerDone) {
                    syncWork.awaitUninterruptibly();
                }
                if (unsynced.isEmpty()) {
                    return;
                }
                batch = unsynced;
                unsynced = new ArrayList<>();
            } finally {
                lock.unlock();
            }
            if (!forceDurably(batch)) {
                return; // closed while the disk kept failing; reported on the futures
            }
        }
    }

    /** Forces the segments {@code batch} was written to, retrying while the disk fails; false when closed first. */
    private boolean forceDurably(List<Frame> batch) {
        if (!untilDone(batch, "fsync", () -> {
            long forced = -1;
            for (Frame f : batch) { // frames are in segment order: one force per segment
                if (f.seq() != forced) {
                    force(f.seq());
                    forced = f.seq();
                }
            }
        })) {
            return false;
        }
        batch.forEach(f -> f.durable().complete(null));
        return true;
    }

    /**
     * Forces segment {@code seq} to disk. A segment already closed was forced when the writer sealed it (and may since
     * have been drained and deleted), so it needs nothing more.
     */
    private void force(long seq) throws IOException {
        Segment segment = segments.get(seq);
        if (segment == null) {
            return; // sealed, forced, every record acknowledged by Kafka, and deleted
        }
        synchronized (channels) {
            if (segment.writer != null && segment.writer.isOpen()) {
                fsync.force(segment.writer);
            }
        }
    }

    /** Writes frames at their assigned offsets, a segment at a time, then makes them visible to the cursor. */
    private void write(List<Frame> batch) throws IOException {
        int i = written;
        while (i < batch.size()) {
            Frame first = batch.get(i);
            if (first.seq() != active.seq) {
                rollTo(first.seq());
            }
            writeBuffer.clear();
            int j = i;
            while (j < batch.size() && batch.get(j).seq() == first.seq()) {
                Frame f = batch.get(j);
                int size = HEADER_BYTES + f.payload().length;
                if (writeBuffer.remaining() < size) {
                    if (j > i) {
                        break;
                    }
                    writeBuffer = ByteBuffer.allocateDirect(size); // one event larger than the buffer
                }
                long at = f.appendedAt();
                crc.reset();
                crc.update(stamp.putLong(0, at).array(), 0, 8);
                crc.update(f.payload(), 0, f.payload().length);
                writeBuffer.putInt(f.payload().length).putInt((int) crc.getValue()).putLong(at).put(f.payload());
                j++;
            }
            writeBuffer.flip();
            Segment segment = active;
            long position = first.offset();
            while (writeBuffer.hasRemaining()) {
                position += segment.writer.write(writeBuffer, position);
            }
            if (segment.end == 0) {
                segment.firstAppendedAt = first.appendedAt();
            }
            segment.end = position; // visible to the cursor from here on
            i = j;
            written = j;
        }
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
            totalBytes.addAndGet(-segment.end);
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
        // Unlinked outside the lock; a file left by a crash just here is sent again at the next start.
        try {
            Files.deleteIfExists(segment.path);
        } catch (IOException e) {
            LOG.error("cannot delete drained spool segment {}: {}", segment.path, e.toString());
        }
    }

    /** A fully read active segment this large is sealed, so it can be deleted once acknowledged. */
    private long idleRollBytes() {
        return Math.min(config.segmentBytes(), 1L << 20);
    }

    /**
     * Asks the writer to seal {@code segment} if it is still where appends go and nothing was appended past
     * {@code end}, so a fully read, fully acknowledged segment can be deleted without waiting to fill up.
     */
    private void requestIdleRoll(Segment segment, long end) {
        lock.lock();
        try {
            if (closed || idleRollRequest != null || logicalSeq != segment.seq || logicalEnd != end) {
                return;
            }
            logicalSeq++;
            logicalEnd = 0;
            idleRollRequest = segment;
            work.signal();
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

    /** Writes and forces what is queued, then closes the spool; what is not yet sent stays for the next start. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            work.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
        LockSupport.unpark(writer); // cut short a batching delay: write what is queued now
        try {
            writer.join(TimeUnit.SECONDS.toMillis(30));
            syncer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Segment last = active;
        try {
            synchronized (channels) {
                fsync.force(last.writer);
                last.sealed = true;
                last.writer.close();
            }
            if (last.end == 0) {
                segments.remove(last.seq);
                Files.deleteIfExists(last.path);
            }
        } catch (IOException e) {
            LOG.error("cannot close spool segment {}: {}", last.path, e.toString());
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
                        if (end >= idleRollBytes()) {
                            requestIdleRoll(segment, end); // sealed by the writer; seen on a later call
                        }
                        return null;
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
