package dev.tokenmin.stream.topology;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Domain counts since the process started, kept by the processors and exposed as meters by the app: events
 * priced, events unpriced (no price for their model), duplicates dropped, events past the grace period, throttle
 * decisions published (tombstones included), alerts raised.
 */
public final class MeteringCounters {

    public static final AtomicLong PRICED = new AtomicLong();
    public static final AtomicLong UNPRICED = new AtomicLong();
    public static final AtomicLong DUPLICATES = new AtomicLong();
    public static final AtomicLong LATE = new AtomicLong();
    public static final AtomicLong DECISIONS = new AtomicLong();
    public static final AtomicLong ALERTS = new AtomicLong();

    private MeteringCounters() {
    }
}
