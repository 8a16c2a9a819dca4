package dev.tokenmin.stream.budget;

import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.BudgetPeriod;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;

/**
 * The period of a budget that holds an instant: a calendar day or month in the budget's own time zone (so a month
 * in Europe/Berlin starts at 23:00 or 22:00 UTC the day before, depending on daylight saving), or a session's whole
 * life, which has no end.
 */
public final class BudgetPeriods {

    private BudgetPeriods() {
    }

    /**
     * One period: {@code [start, end)}; {@code end} is null for sessions.
     *
     * @param start first instant of the period
     * @param end   first instant after it, or null when it lasts the session
     */
    public record Period(Instant start, Instant end) {

        public boolean contains(Instant at) {
            return !at.isBefore(start) && (end == null || at.isBefore(end));
        }
    }

    /** The period of {@code budget} that holds {@code at}. */
    public static Period of(Budget budget, Instant at) {
        if (budget.getPeriod() == BudgetPeriod.SESSION) {
            return new Period(Instant.EPOCH, null);
        }
        ZoneId zone = ZoneId.of(budget.getTimeZone());
        LocalDate day = at.atZone(zone).toLocalDate();
        LocalDate first = budget.getPeriod() == BudgetPeriod.DAY ? day : day.withDayOfMonth(1);
        LocalDate next = budget.getPeriod() == BudgetPeriod.DAY ? first.plusDays(1) : first.plusMonths(1);
        // atStartOfDay, not midnight: where daylight saving starts at midnight, a day starts at 01:00.
        return new Period(first.atStartOfDay(zone).toInstant(), next.atStartOfDay(zone).toInstant());
    }
}
