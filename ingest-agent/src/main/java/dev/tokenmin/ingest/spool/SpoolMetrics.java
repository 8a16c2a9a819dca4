package dev.tokenmin.ingest.spool;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What the spool has done, for dashboards and alerts: events spooled, sent (acknowledged by Kafka), rejected when
 * full, corrupted (quarantined), bytes pending and the age of the oldest pending event.
 */
public final class SpoolMetrics {

    final AtomicLong spooled = new AtomicLong();
    final AtomicLong sent = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    final AtomicLong corrupted = new AtomicLong();
    private volatile LongSupplier pendingBytes = () -> 0;
    private volatile LongSupplier oldestPendingAgeMillis = () -> 0;

    public long spooled() {
        return spooled.get();
    }

    public long sent() {
        return sent.get();
    }

    public long rejected() {
        return rejected.get();
    }

    public long corrupted() {
        return corrupted.get();
    }

    public long pendingBytes() {
        return pendingBytes.getAsLong();
    }

    /** Milliseconds since the oldest event not yet acknowledged by Kafka was spooled; 0 when none is pending. */
    public long oldestPendingAgeMillis() {
        return oldestPendingAgeMillis.getAsLong();
    }

    void sources(LongSupplier pendingBytes, LongSupplier oldestPendingAgeMillis) {
        this.pendingBytes = pendingBytes;
        this.oldestPendingAgeMillis = oldestPendingAgeMillis;
    }

    /** Counts an event Kafka acknowledged. */
    public void recordSent() {
        sent.incrementAndGet();
    }

    /** Registers the meters {@code tokenmin.spool.*} in {@code registry}. */
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("tokenmin.spool.spooled", spooled, AtomicLong::get)
                .description("events written to the spool").register(registry);
        FunctionCounter.builder("tokenmin.spool.sent", sent, AtomicLong::get)
                .description("events acknowledged by Kafka").register(registry);
        FunctionCounter.builder("tokenmin.spool.rejected", rejected, AtomicLong::get)
                .description("events refused because the spool was full").register(registry);
        FunctionCounter.builder("tokenmin.spool.corrupted", corrupted, AtomicLong::get)
                .description("records that failed their checksum and were quarantined").register(registry);
        Gauge.builder("tokenmin.spool.pending.bytes", this, SpoolMetrics::pendingBytes).baseUnit("bytes")
                .description("bytes in the spool not yet acknowledged by Kafka").register(registry);
        Gauge.builder("tokenmin.spool.oldest.pending.age", this, m -> m.oldestPendingAgeMillis() / 1000.0)
                .baseUnit("seconds").description("age of the oldest event not yet acknowledged").register(registry);
    }
}
