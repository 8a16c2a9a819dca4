package dev.tokenmin.benchmarks.load;

import org.HdrHistogram.Histogram;

/** Latency percentiles of one run, recorded in nanoseconds, printed in microseconds or milliseconds. */
final class Latencies {

    private final Histogram histogram = new Histogram(3_600_000_000_000L, 3);

    void record(long nanos) {
        histogram.recordValue(Math.max(1, nanos));
    }

    /** Records the time since {@code startNanos} ({@code System.nanoTime()}); safe from any thread. */
    synchronized void recordSince(long startNanos) {
        record(System.nanoTime() - startNanos);
    }

    synchronized void add(Latencies other) {
        histogram.add(other.histogram);
    }

    /** The value at {@code percentile} (e.g. 99.9), nanoseconds. */
    long percentile(double percentile) {
        return histogram.getValueAtPercentile(percentile);
    }

    long count() {
        return histogram.getTotalCount();
    }

    /** e.g. {@code p50 3.1 µs, p90 4.0 µs, p99 12.5 µs, p99.9 210 µs, max 4.1 ms}. */
    synchronized String summary() {
        return "p50 " + format(histogram.getValueAtPercentile(50)) + ", p90 " + format(histogram.getValueAtPercentile(90))
                + ", p99 " + format(histogram.getValueAtPercentile(99)) + ", p99.9 "
                + format(histogram.getValueAtPercentile(99.9)) + ", max " + format(histogram.getMaxValue());
    }

    static String format(long nanos) {
        if (nanos < 1_000_000) {
            return String.format("%.1f µs", nanos / 1_000.0);
        }
        return String.format("%.1f ms", nanos / 1_000_000.0);
    }
}
