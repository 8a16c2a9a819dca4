package dev.tokenmin.stream.budget;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.nio.ByteBuffer;

/**
 * Where a budget stands in its current period: which period, how much of it is spent, and the highest ladder step
 * reached (−1: none), so that each step is crossed once per period. Kept per budget in the enforcer's state store.
 *
 * @param periodStart first instant of the period, epoch millis (0 for sessions)
 * @param periodEnd   first instant after it, epoch millis, or {@link Long#MAX_VALUE} for sessions
 * @param spent       spend in the period so far, in the budget's limit unit
 * @param step        index of the highest ladder step reached, or −1
 */
public record BudgetState(long periodStart, long periodEnd, long spent, int step) {

    public static final int NO_STEP = -1;

    public static BudgetState fresh(BudgetPeriods.Period period, long spent) {
        return new BudgetState(period.start().toEpochMilli(),
                period.end() == null ? Long.MAX_VALUE : period.end().toEpochMilli(), spent, NO_STEP);
    }

    public BudgetState plus(long amount) {
        return new BudgetState(periodStart, periodEnd, Math.addExact(spent, amount), step);
    }

    public BudgetState atStep(int newStep) {
        return new BudgetState(periodStart, periodEnd, spent, newStep);
    }

    /** Whether the period is still running at {@code nowMs}. */
    public boolean isCurrent(long nowMs) {
        return nowMs < periodEnd;
    }

    /** A fixed 28-byte encoding; the state is internal and never leaves the app's changelog. */
    public static Serde<BudgetState> serde() {
        return Serdes.serdeFrom((topic, s) -> s == null ? null : ByteBuffer.allocate(28).putLong(s.periodStart)
                .putLong(s.periodEnd).putLong(s.spent).putInt(s.step).array(), (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            if (bytes.length != 28) {
                throw new SerializationException("budget state of " + bytes.length + " bytes, expected 28");
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            return new BudgetState(b.getLong(), b.getLong(), b.getLong(), b.getInt());
        });
    }
}
