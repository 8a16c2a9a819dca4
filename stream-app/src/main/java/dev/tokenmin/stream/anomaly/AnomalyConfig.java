package dev.tokenmin.stream.anomaly;

import dev.tokenmin.schemas.NanoUsd;
import dev.tokenmin.schemas.config.Settings;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What anomaly detection watches and when it fires: the dimensions ({@code feature}, {@code customer},
 * {@code customer/feature}, {@code model}), the multiple of the baseline that fires (default 4, per dimension with
 * {@code anomaly.threshold.<dimension>}), the least spend in a window worth an alert (default 1 USD, so $0.01 →
 * $0.04 pages no one), and how much history a dimension needs before it is judged (default 24 hours for hourly
 * windows, 7 days for daily ones and for month-to-date), and how long the pricing side sums a dimension's events
 * before they go to the detector (default 1 s: anomalies are judged over hours, so the wait costs nothing that
 * matters and the sums save most of the by-dimension records; 0: every event at once).
 *
 * @param dimensions          the dimensions watched
 * @param thresholdMicros     the firing ratio per dimension, in millionths (4x = 4,000,000)
 * @param minSpendNanos       the least spend in a window for an alert
 * @param minHistoryHours     hours a dimension must have been seen before its hourly windows are judged
 * @param minHistoryDays      days likewise for daily windows and month-to-date
 * @param flush               how long a dimension's events are summed before they are judged
 */
public record AnomalyConfig(Set<String> dimensions, Map<String, Long> thresholdMicros, long minSpendNanos,
                            int minHistoryHours, int minHistoryDays, Duration flush) {

    public static final List<String> ALL_DIMENSIONS = List.of("feature", "customer", "customer/feature", "model");
    public static final String DIMENSIONS = "anomaly.dimensions";
    public static final String THRESHOLD = "anomaly.threshold";
    public static final String MIN_SPEND_USD = "anomaly.min.spend.usd";
    public static final String MIN_HISTORY_HOURS = "anomaly.min.history.hours";
    public static final String MIN_HISTORY_DAYS = "anomaly.min.history.days";
    public static final String FLUSH_MS = "anomaly.flush.ms";

    public static final AnomalyConfig DEFAULT = from(new Settings(Map.of()));

    /** Reads the {@code anomaly.*} settings, reporting problems through {@code s}. */
    public static AnomalyConfig from(Settings s) {
        Set<String> dimensions = new LinkedHashSet<>();
        for (String d : s.string(DIMENSIONS, String.join(",", ALL_DIMENSIONS)).split(",")) {
            String dim = d.strip();
            if (!dim.isEmpty() && !ALL_DIMENSIONS.contains(dim)) {
                s.error(DIMENSIONS + ": unknown dimension \"" + dim + "\"; known: " + String.join(", ", ALL_DIMENSIONS));
            } else if (!dim.isEmpty()) {
                dimensions.add(dim);
            }
        }
        long fallback = ratio(s, THRESHOLD, "4");
        Map<String, Long> thresholds = new TreeMap<>();
        for (String dim : ALL_DIMENSIONS) {
            String key = THRESHOLD + "." + dim;
            thresholds.put(dim, s.string(key) == null ? fallback : ratio(s, key, null));
        }
        long minSpend = 0;
        try {
            minSpend = NanoUsd.fromUsd(s.string(MIN_SPEND_USD, "1"));
        } catch (NumberFormatException | ArithmeticException e) {
            s.error(MIN_SPEND_USD + ": a USD amount such as 1.00, was " + s.string(MIN_SPEND_USD));
        }
        return new AnomalyConfig(Set.copyOf(dimensions), Map.copyOf(thresholds), minSpend,
                s.intBetween(MIN_HISTORY_HOURS, 24, 1, 24 * 35), s.intBetween(MIN_HISTORY_DAYS, 7, 1, 62),
                Duration.ofMillis(s.intBetween(FLUSH_MS, 1_000, 0, 600_000)));
    }

    private static long ratio(Settings s, String key, String fallback) {
        String v = s.string(key, fallback);
        try {
            BigDecimal r = new BigDecimal(v);
            if (r.compareTo(BigDecimal.ONE) <= 0) {
                s.error(key + ": a multiple above 1 such as 4, was " + v);
                return 4_000_000;
            }
            return r.movePointRight(6).longValue();
        } catch (NumberFormatException e) {
            s.error(key + ": a multiple such as 4 or 2.5, was " + v);
            return 4_000_000;
        }
    }

    public long thresholdMicros(String dimension) {
        return thresholdMicros.get(dimension);
    }
}
