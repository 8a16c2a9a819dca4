package dev.tokenmin.stream.spend;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;

/**
 * Calendar months in UTC, the attribution months of the spend and anomaly windows: months differ in length, so they
 * are not fixed-size windows. Budgets with a time zone of their own keep their own periods ({@code BudgetPeriods}).
 */
public final class CalendarMonthWindows {

    /** One month: [first instant of the month, first instant of the next), epoch millis. */
    public record Month(long start, long end) {
    }

    private CalendarMonthWindows() {
    }

    /** The month that holds {@code timestamp}. */
    public static Month monthOf(long timestamp) {
        YearMonth month = YearMonth.from(Instant.ofEpochMilli(timestamp).atZone(ZoneOffset.UTC));
        long start = month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        long end = month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        return new Month(start, end);
    }
}
