package dev.tokenmin.pipeline.run;

import java.io.PrintStream;
import java.time.Duration;
import java.util.function.Function;

/** Start-up progress: one line per component as it becomes ready, with where it is and how long it took. */
final class Progress {

    private final PrintStream out;

    Progress(PrintStream out) {
        this.out = out;
    }

    /** Something started; its line. */
    synchronized void ready(String what, String detail, Duration took) {
        out.printf("  ok  %-18s %-60s %6.1f s%n", what, detail, took.toMillis() / 1000.0);
        out.flush();
    }

    synchronized void note(String line) {
        out.println(line);
        out.flush();
    }

    /** Runs {@code step}, then prints its line with the detail it returns. */
    String step(String what, Step<String> step) throws Exception {
        return step(what, step, detail -> detail);
    }

    /** Runs {@code step}, then prints its line with what {@code detail} says of its result; returns the result. */
    <T> T step(String what, Step<T> step, Function<T, String> detail) throws Exception {
        long t0 = System.nanoTime();
        T result = step.run();
        ready(what, detail.apply(result), Duration.ofNanos(System.nanoTime() - t0));
        return result;
    }

    @FunctionalInterface
    interface Step<T> {
        T run() throws Exception;
    }
}
