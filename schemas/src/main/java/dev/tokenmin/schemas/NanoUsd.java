package dev.tokenmin.schemas;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Money in tokenmin: an exact integer count of nano-USD (1e-9 USD) in a {@code long}, never a float. This class is
 * the one place where amounts are converted to and from decimal USD (as prices are written and as ClickHouse
 * stores them, {@code Decimal(18, 9)}). A {@code long} holds up to about 9.2 billion USD.
 */
public final class NanoUsd {

    /** Nano-USD in one USD. */
    public static final long PER_USD = 1_000_000_000L;
    /** Decimal places of a USD amount in nano-USD, and the scale of ClickHouse's {@code Decimal(18, 9)}. */
    public static final int SCALE = 9;

    private NanoUsd() {
    }

    /**
     * Nano-USD in {@code usd}, exactly.
     *
     * @throws ArithmeticException when {@code usd} has more than nine decimal places or does not fit in a long
     */
    public static long fromUsd(BigDecimal usd) {
        BigDecimal nanos = usd.movePointRight(SCALE);
        try {
            return nanos.setScale(0, RoundingMode.UNNECESSARY).longValueExact();
        } catch (ArithmeticException e) {
            throw new ArithmeticException("cannot hold " + usd.toPlainString()
                    + " USD as whole nano-USD in a long: at most 9 decimal places and about 9.2e9 USD");
        }
    }

    /** Nano-USD in a decimal USD string such as {@code "0.000003"} or {@code "12.5"}. */
    public static long fromUsd(String usd) {
        try {
            return fromUsd(new BigDecimal(usd.strip()));
        } catch (NumberFormatException e) {
            throw new NumberFormatException("not a decimal USD amount: \"" + usd + "\"");
        }
    }

    /** {@code nanos} as USD with scale 9, exactly (the value ClickHouse's {@code Decimal(18, 9)} holds). */
    public static BigDecimal toUsd(long nanos) {
        return BigDecimal.valueOf(nanos, SCALE);
    }

    /** {@code nanos} as a plain USD string without trailing zeros, for messages and reports, e.g. {@code "1.5"}. */
    public static String format(long nanos) {
        BigDecimal usd = toUsd(nanos).stripTrailingZeros();
        return (usd.scale() < 0 ? usd.setScale(0) : usd).toPlainString();
    }
}
