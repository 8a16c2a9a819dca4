package dev.tokenmin.stream.topology;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * Domain counts since the process started, kept by the processors and exposed as meters by the app: events
 * priced, events unpriced (no price for their model), duplicates dropped, events past the grace period, throttle
 * decisions published (tombstones included), alerts raised; and spend priced per feature, for dashboards (counted
 * as processed, so a transaction retried after a crash counts again: the ledger is ClickHouse, not this).
 */
public final class MeteringCounters {

    public static final AtomicLong PRICED = new AtomicLong();
    public static final AtomicLong UNPRICED = new AtomicLong();
    public static final AtomicLong DUPLICATES = new AtomicLong();
    public static final AtomicLong LATE = new AtomicLong();
    public static final AtomicLong DECISIONS = new AtomicLong();
    public static final AtomicLong ALERTS = new AtomicLong();

    /** Features with a spend counter of their own; spend of any further feature counts as {@link #OTHER}. */
    public static final int MAX_FEATURES = 200;
    public static final String OTHER = "(other)";
    public static final String NONE = "(none)";
    private static final Map<String, AtomicLong> SPEND_BY_FEATURE = new ConcurrentHashMap<>();
    private static volatile BiConsumer<String, AtomicLong> onNewFeature = (feature, nanos) -> { };

    private MeteringCounters() {
    }

    /** Adds priced spend to the feature's counter (bounded: see {@link #MAX_FEATURES}). */
    public static void addSpend(String feature, long nanos) {
        String key = feature == null ? NONE : feature;
        AtomicLong counter = SPEND_BY_FEATURE.get(key);
        if (counter == null) {
            if (SPEND_BY_FEATURE.size() >= MAX_FEATURES) {
                key = OTHER;
            }
            counter = SPEND_BY_FEATURE.computeIfAbsent(key, k -> {
                AtomicLong created = new AtomicLong();
                onNewFeature.accept(k, created);
                return created;
            });
        }
        counter.addAndGet(nanos);
    }

    /**
     * Tells {@code listener} of every feature counter now and of each new one from now on (a meter registry
     * registers a meter per counter).
     */
    public static synchronized void watchSpend(BiConsumer<String, AtomicLong> listener) {
        BiConsumer<String, AtomicLong> before = onNewFeature;
        onNewFeature = before.andThen(listener);
        SPEND_BY_FEATURE.forEach(listener);
    }
}
