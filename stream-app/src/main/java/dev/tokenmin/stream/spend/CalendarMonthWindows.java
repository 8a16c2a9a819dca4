package dev.tokenmin.stream.spend;

import org.apache.kafka.streams.kstream.Windows;
import org.apache.kafka.streams.kstream.internals.TimeWindow;

import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Map;

/**
 * Tumbling windows of one calendar month in UTC: months differ in length, so they are not {@code TimeWindows}.
 * Budgets with a time zone of their own keep their own period totals; these are the attribution months.
 */
public final class CalendarMonthWindows extends Windows<TimeWindow> {

    private static final long LONGEST_MONTH_MS = Duration.ofDays(31).toMillis();

    private final long graceMs;

    private CalendarMonthWindows(Duration grace) {
        this.graceMs = grace.toMillis();
    }

    public static CalendarMonthWindows withGrace(Duration grace) {
        return new CalendarMonthWindows(grace);
    }

    /** The month that holds {@code timestamp}: [first instant of the month, first instant of the next). */
    public static TimeWindow monthOf(long timestamp) {
        YearMonth month = YearMonth.from(Instant.ofEpochMilli(timestamp).atZone(ZoneOffset.UTC));
        long start = month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        long end = month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        return new TimeWindow(start, end);
    }

    @Override
    public Map<Long, TimeWindow> windowsFor(long timestamp) {
        TimeWindow month = monthOf(timestamp);
        return Map.of(month.start(), month);
    }

    @Override
    public long size() {
        return LONGEST_MONTH_MS;
    }

    @Override
    public long gracePeriodMs() {
        return graceMs;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CalendarMonthWindows other && other.graceMs == graceMs;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(graceMs);
    }
}
