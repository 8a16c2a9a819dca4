package dev.tokenmin.stream.spend;

import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.WindowKind;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One scope's latest window of each calendar kind (minute, hour, day, month): the windows its newest events count
 * in, held together in one state store entry so that counting an event reads and writes one entry instead of one
 * per kind. A window leaves this entry, final or nearly so, when an event of a later window of its kind arrives;
 * it then lives in the kind's window store (see {@link ScopeSpendProcessor}).
 */
public final class LatestWindows {

    /** The kinds held here, in their order in the entry; sessions have a store of their own. */
    public static final List<WindowKind> KINDS = List.of(WindowKind.MINUTE, WindowKind.HOUR, WindowKind.DAY,
            WindowKind.MONTH);

    private static final long MINUTE = Duration.ofMinutes(1).toMillis();
    private static final long HOUR = Duration.ofHours(1).toMillis();
    private static final long DAY = Duration.ofDays(1).toMillis();

    private final SpendAggregate[] windows = new SpendAggregate[KINDS.size()];

    /** The latest window of {@code kind}, or null when the scope has none yet. */
    public SpendAggregate get(WindowKind kind) {
        return windows[index(kind)];
    }

    /** Makes {@code window} (scope, kind and bounds set) the latest of its kind. */
    public void set(SpendAggregate window) {
        windows[index(window.getWindowKind())] = window;
    }

    private static int index(WindowKind kind) {
        return switch (kind) {
            case MINUTE -> 0;
            case HOUR -> 1;
            case DAY -> 2;
            case MONTH -> 3;
            case SESSION -> throw new IllegalArgumentException("sessions are not calendar windows");
        };
    }

    /** The start of the window of {@code kind} that holds {@code timestamp} (months in UTC). */
    public static long startOf(WindowKind kind, long timestamp) {
        return switch (kind) {
            case MINUTE -> Math.floorDiv(timestamp, MINUTE) * MINUTE;
            case HOUR -> Math.floorDiv(timestamp, HOUR) * HOUR;
            case DAY -> Math.floorDiv(timestamp, DAY) * DAY;
            case MONTH -> CalendarMonthWindows.monthOf(timestamp).start();
            case SESSION -> throw new IllegalArgumentException("sessions are not calendar windows");
        };
    }

    /** The end (exclusive) of the window of {@code kind} that starts at {@code start}. */
    public static long endOf(WindowKind kind, long start) {
        return switch (kind) {
            case MINUTE -> start + MINUTE;
            case HOUR -> start + HOUR;
            case DAY -> start + DAY;
            case MONTH -> CalendarMonthWindows.monthOf(start).end();
            case SESSION -> throw new IllegalArgumentException("sessions are not calendar windows");
        };
    }

    /** An empty aggregate of {@code scope}'s window of {@code kind} that starts at {@code start}. */
    public static SpendAggregate emptyWindow(String scope, WindowKind kind, long start) {
        SpendAggregate agg = SpendAggregates.empty();
        agg.setScope(scope);
        agg.setWindowKind(kind);
        agg.setWindowStart(Instant.ofEpochMilli(start));
        agg.setWindowEnd(Instant.ofEpochMilli(endOf(kind, start)));
        return agg;
    }
}
