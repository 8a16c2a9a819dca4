package dev.tokenmin.stream.app;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.StateRestoreListener;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Notices a Kafka Streams client that has stopped making progress while it is not running: a rebalance that never
 * ends. Kafka Streams can stay in {@code REBALANCING} for good without a stream thread dying (seen in tokenmin's
 * fault suite: after a broker kill -9 a changelog held a hanging transaction, so its restoration never finished; no
 * error, no log line), and a liveness probe that only asks "is the client alive" never restarts it.
 * <p>
 * Progress is anything that changes while the client is not {@code RUNNING}: the client's state, a stream thread's
 * state or the tasks it holds (the {@linkplain Snapshot fingerprint} the probe returns), or a batch of state
 * restored from a changelog (this class is the client's {@link StateRestoreListener}), so a long restore never counts
 * as stalled. When nothing has changed for {@code limit}, {@code onStall} runs once with how long it has been.
 * <p>
 * A gap between two {@link #check()}s much longer than the check period means this process itself was frozen (a
 * stop signal, a long pause): what it saw before the gap says nothing about the time since, so the clock starts
 * again rather than firing on a process that was merely paused.
 */
final class StallWatchdog implements StateRestoreListener {

    /** What the client looks like now: its state and anything whose change counts as progress. */
    record Snapshot(KafkaStreams.State state, Object fingerprint) {
    }

    private final long limitNanos;
    private final long checkEveryNanos;
    private final Supplier<Snapshot> probe;
    private final LongSupplier nanoTime;
    private final Consumer<Duration> onStall;
    private final AtomicLong restored = new AtomicLong();

    private long lastCheck = Long.MIN_VALUE;
    private long lastProgress;
    private Snapshot last;
    private long lastRestored;
    private boolean fired;

    /**
     * @param limit      how long without progress outside {@code RUNNING} counts as stalled (zero: never)
     * @param checkEvery how often {@link #check()} is called: a gap of three periods is a frozen process
     * @param probe      the client's state and progress fingerprint now
     * @param nanoTime   a monotonic clock
     * @param onStall    what to do, once, when stalled
     */
    StallWatchdog(Duration limit, Duration checkEvery, Supplier<Snapshot> probe, LongSupplier nanoTime,
                  Consumer<Duration> onStall) {
        if (limit.isNegative() || !checkEvery.isPositive()) {
            throw new IllegalArgumentException("limit must be zero or more, checkEvery positive");
        }
        this.limitNanos = limit.toNanos();
        this.checkEveryNanos = checkEvery.toNanos();
        this.probe = probe;
        this.nanoTime = nanoTime;
        this.onStall = onStall;
    }

    /** How often to check for a limit: a tenth of it, between 100 ms and 5 s. */
    static Duration checkPeriod(Duration limit) {
        long tenth = limit.toMillis() / 10;
        return Duration.ofMillis(Math.clamp(tenth, 100, 5_000));
    }

    /** One look at the client; call every {@code checkEvery}. */
    void check() {
        if (limitNanos == 0 || fired) {
            return;
        }
        long now = nanoTime.getAsLong();
        Snapshot seen = probe.get();
        long restoredNow = restored.get();
        boolean frozenSinceLastCheck = lastCheck != Long.MIN_VALUE && now - lastCheck > 3 * checkEveryNanos;
        lastCheck = now;
        if (last == null || frozenSinceLastCheck || seen.state() != KafkaStreams.State.REBALANCING
                || !Objects.equals(seen, last) || restoredNow != lastRestored) {
            last = seen;
            lastRestored = restoredNow;
            lastProgress = now;
            return;
        }
        long stalledFor = now - lastProgress;
        if (stalledFor >= limitNanos) {
            fired = true;
            onStall.accept(Duration.ofNanos(stalledFor));
        }
    }

    @Override
    public void onRestoreStart(TopicPartition partition, String storeName, long startingOffset, long endingOffset) {
        restored.incrementAndGet();
    }

    @Override
    public void onBatchRestored(TopicPartition partition, String storeName, long batchEndOffset,
                                long numRestored) {
        restored.incrementAndGet();
    }

    @Override
    public void onRestoreEnd(TopicPartition partition, String storeName, long totalRestored) {
        restored.incrementAndGet();
    }
}
