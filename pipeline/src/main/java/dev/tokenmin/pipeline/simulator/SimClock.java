package dev.tokenmin.pipeline.simulator;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The simulator's clock: simulated time runs {@code speed} times faster than real time, over a span of the recent
 * past that ends no later than the moment the run started. Event times are never in the future (the agent refuses
 * events more than minutes ahead, and brokers refuse records an hour ahead), and hour-long windows — what anomaly
 * detection judges — pass in seconds.
 * <p>
 * The span starts on a whole UTC hour, so simulated hours are the stream app's hourly windows.
 */
public final class SimClock {

    private final Instant start;
    private final Instant end;
    private final long speed;
    private volatile long realStartNanos;

    private SimClock(Instant start, Instant end, long speed) {
        this.start = start;
        this.end = end;
        this.speed = speed;
    }

    /**
     * A clock for a run of {@code realDuration} at {@code speed}: its span is {@code realDuration × speed} long and
     * starts on the whole hour at or before {@code now} minus that span.
     */
    public static SimClock replaying(Instant now, Duration realDuration, long speed) {
        if (speed < 1) {
            throw new IllegalArgumentException("speed: at least 1, was " + speed);
        }
        Duration span = realDuration.multipliedBy(speed);
        Instant start = now.minus(span).truncatedTo(ChronoUnit.HOURS);
        return new SimClock(start, start.plus(span), speed);
    }

    /** Starts the clock: simulated time {@link #start()} is now. */
    public void startNow() {
        realStartNanos = System.nanoTime();
    }

    public Instant start() {
        return start;
    }

    /** The end of the span; the simulator offers no traffic after it. */
    public Instant end() {
        return end;
    }

    public long speed() {
        return speed;
    }

    /** Simulated time now (never past {@link #end()}). */
    public Instant now() {
        long elapsedNanos = System.nanoTime() - realStartNanos;
        Instant t = start.plusMillis(Math.multiplyExact(elapsedNanos / 1_000, speed) / 1_000);
        return t.isAfter(end) ? end : t;
    }

    /** Real nanoseconds from now until simulated time {@code at} (negative when it has passed). */
    public long realNanosUntil(Instant at) {
        long simMillis = Duration.between(start, at).toMillis();
        long due = realStartNanos + Math.multiplyExact(simMillis, 1_000_000L) / speed;
        return due - System.nanoTime();
    }

    /** Real time the span takes. */
    public Duration realDuration() {
        return Duration.between(start, end).dividedBy(speed);
    }
}
