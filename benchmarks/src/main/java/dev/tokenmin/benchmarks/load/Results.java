package dev.tokenmin.benchmarks.load;

import java.util.ArrayList;
import java.util.List;

/**
 * The headline figures the harnesses measured in this JVM, in the order measured, for the suite's side-by-side
 * table: what was measured, its target (or empty), the figure, and whether the target was met (null: no target).
 */
final class Results {

    /** One headline figure. */
    record Figure(String what, String target, String measured, Boolean met) {
    }

    private static final List<Figure> FIGURES = new ArrayList<>();
    private static final List<Double> CEILINGS = new ArrayList<>();

    private Results() {
    }

    static synchronized void record(String what, String target, String measured, Boolean met) {
        FIGURES.add(new Figure(what, target, measured, met));
    }

    /** A raw producer rate measured by the ceiling harness, records/s. */
    static synchronized void ceiling(double recordsPerSecond) {
        CEILINGS.add(recordsPerSecond);
    }

    /** The best raw producer rate measured, or 0 when the ceiling harness has not run. */
    static synchronized double bestCeiling() {
        return CEILINGS.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }

    static synchronized List<Figure> figures() {
        return List.copyOf(FIGURES);
    }
}
