package dev.tokenmin.stream.budget;

import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.LadderStep;
import dev.tokenmin.avro.LimitUnit;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.stream.spend.SpendDelta;

import java.math.BigInteger;
import java.util.List;

/**
 * The arithmetic of budgets, exact and in integers: what an event adds to a budget, which ladder step a spend has
 * reached, and which of two decisions is the stricter.
 */
public final class Ladders {

    /** A soft budget without steps alerts once, when its limit is reached. */
    private static final LadderStep AT_LIMIT = LadderStep.newBuilder().setThresholdPercent(100)
            .setAction(ThrottleAction.NONE).build();

    private Ladders() {
    }

    /** The budget's steps; a budget without any has one at 100% (an alert, or a block when hard). */
    public static List<LadderStep> steps(Budget budget) {
        return budget.getLadder().isEmpty() ? List.of(AT_LIMIT) : budget.getLadder();
    }

    /** What {@code usage} adds to {@code budget}: its cost in nano-USD, or its billed tokens (reasoning is output). */
    public static long amount(Budget budget, SpendDelta usage) {
        return budget.getLimitUnit() == LimitUnit.NANO_USD ? usage.costNanos() : usage.billedTokens();
    }

    /** Index of the highest step whose threshold {@code spent} has reached, or {@link BudgetState#NO_STEP}. */
    public static int stepReached(Budget budget, long spent) {
        List<LadderStep> steps = steps(budget);
        for (int i = steps.size() - 1; i >= 0; i--) {
            if (reached(spent, budget.getLimit(), steps.get(i).getThresholdPercent())) {
                return i;
            }
        }
        return BudgetState.NO_STEP;
    }

    /** {@code spent >= limit * percent / 100}, without rounding and without overflow. */
    static boolean reached(long spent, long limit, int percent) {
        try {
            return Math.multiplyExact(spent, 100L) >= Math.multiplyExact(limit, (long) percent);
        } catch (ArithmeticException overflow) {
            return BigInteger.valueOf(spent).multiply(BigInteger.valueOf(100))
                    .compareTo(BigInteger.valueOf(limit).multiply(BigInteger.valueOf(percent))) >= 0;
        }
    }

    /** Spend as a whole percentage of the limit, rounded down. */
    public static long percent(long spent, long limit) {
        return BigInteger.valueOf(spent).multiply(BigInteger.valueOf(100)).divide(BigInteger.valueOf(limit))
                .longValue();
    }

    /**
     * Positive when step {@code a} restricts more than {@code b}: the harsher action, then the smaller context cap.
     * Tiers are names whose order only the routing table knows, so they never decide.
     */
    public static int compareStrictness(LadderStep a, LadderStep b) {
        int byAction = Integer.compare(a.getAction().ordinal(), b.getAction().ordinal());
        if (byAction != 0) {
            return byAction;
        }
        long capA = a.getMaxInputTokens() == null ? Long.MAX_VALUE : a.getMaxInputTokens();
        long capB = b.getMaxInputTokens() == null ? Long.MAX_VALUE : b.getMaxInputTokens();
        return Long.compare(capB, capA);
    }
}
