package dev.tokenmin.pipeline.console;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What the live view shows at one moment, gathered from the running components.
 *
 * @param simNow      the simulated clock
 * @param speed       how much faster than real time it runs
 * @param elapsed     real time since the simulator started
 * @param total       real time the run lasts
 * @param offered     tasks the products wanted to run
 * @param sent        events the sidecar acknowledged
 * @param refused     tasks refused with "budget exhausted"
 * @param downgraded  calls routed to a cheaper tier by a decision
 * @param trimmed     calls whose context a decision capped
 * @param priced      events the stream app priced
 * @param stored      priced events the sink committed to ClickHouse
 * @param sentPerSecond   rate of {@code sent} over the last refresh
 * @param pricedPerSecond rate of {@code priced}
 * @param storedPerSecond rate of {@code stored}
 * @param features    spend per feature in the simulated span, most first (from ClickHouse)
 * @param customers   spend per customer likewise
 * @param decisions   throttle decisions in force, strictest first (the sidecar's throttle view)
 * @param alerts      the latest alerts, newest first (from ClickHouse)
 * @param alertCount  alerts raised in this run (from ClickHouse)
 */
public record Snapshot(Instant simNow, long speed, Duration elapsed, Duration total, long offered, long sent,
                       long refused, long downgraded, long trimmed, long priced, long stored, double sentPerSecond,
                       double pricedPerSecond, double storedPerSecond, List<Spend> features, List<Spend> customers,
                       List<Decision> decisions, List<AlertLine> alerts, long alertCount) {

    /** Requests and spend of one feature or customer. */
    public record Spend(String name, long requests, long costNanos) {
    }

    /** A decision in force. */
    public record Decision(String action, String scope, String reason) {
    }

    /** An alert as it was raised. */
    public record AlertLine(Instant raisedAt, String severity, String kind, String scope, String summary) {
    }
}
