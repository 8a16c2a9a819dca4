package dev.tokenmin.stream.spend;

import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.UsageEvent;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What counting needs of one or more priced events of one scope (or anomaly dimension) within one minute: the
 * earliest and latest event time, the number of requests, the cost and the token counts, in all and per model, and
 * (for anomaly dimensions) the cost per user. The by-scope and by-dimension topics carry these instead of the events:
 * {@link SpendDeltaBuffer} sums a scope's events between flushes, so a scope that many events touch costs one record
 * per flush, not one per event. All of a delta's events fall in one minute, hence in one hour, day, month and budget
 * period: a delta counts in exactly the windows each of its events would. Sums are exact (integer nano-USD).
 *
 * @param firstAt          the earliest event time, epoch millis
 * @param lastAt           the latest event time, epoch millis
 * @param requests         how many events
 * @param unpricedRequests how many of them were counted at cost 0 for want of a price
 * @param byModel          the same per model (provider and model), in order of first appearance
 * @param userCosts        cost per user (as the agent sent it, possibly a pseudonym): only in anomaly dimensions,
 *                         whose alerts name their top users; empty elsewhere. Events without a user are not in it.
 *                         At most {@link #MAX_USERS}: a sum keeps its costliest users, so a named user's cost is
 *                         exact while a sum had no more users than that, and a lower bound (never more than they
 *                         spent) beyond; the heavy spenders an alert is about stay in.
 */
public record SpendDelta(long firstAt, long lastAt, long requests, long unpricedRequests, long costNanos,
                         long inputTokens, long cachedInputTokens, long cacheWriteTokens, long outputTokens,
                         long reasoningTokens, List<ModelDelta> byModel, Map<String, Long> userCosts) {

    /** The most users a delta names (anomaly alerts name their top three). */
    public static final int MAX_USERS = 8;
    private static final long MINUTE = Duration.ofMinutes(1).toMillis();

    /** One model's share of a delta. */
    public record ModelDelta(String provider, String model, long requests, long costNanos, long inputTokens,
                             long outputTokens) {
    }

    public SpendDelta {
        if (minuteOf(firstAt) != minuteOf(lastAt)) {
            throw new IllegalArgumentException("a delta's events are of one minute, had " + firstAt + " to " + lastAt);
        }
        byModel = List.copyOf(byModel);
        userCosts = Map.copyOf(userCosts);
    }

    /** One priced event, with its user's cost when {@code withUser} (and it has a user). */
    public static SpendDelta of(PricedUsage priced, boolean withUser) {
        UsageEvent e = priced.getEvent();
        long at = e.getOccurredAt().toEpochMilli();
        long cost = priced.getCost().getTotalNanos();
        ModelDelta model = new ModelDelta(e.getProvider(), e.getModel(), 1, cost, e.getInputTokens(),
                e.getOutputTokens());
        Map<String, Long> users = withUser && e.getUserId() != null ? Map.of(e.getUserId(), cost) : Map.of();
        return new SpendDelta(at, at, 1, priced.getUnpriced() ? 1 : 0, cost, e.getInputTokens(),
                e.getCachedInputTokens(), e.getCacheWriteTokens(), e.getOutputTokens(), e.getReasoningTokens(),
                List.of(model), users);
    }

    /** The sum of this delta and {@code o}, which must be of the same minute (summed as {@link DeltaSum} sums). */
    public SpendDelta plus(SpendDelta o) {
        return new DeltaSum().add(this).add(o).toDelta();
    }

    /** The start of the minute all of its events fall in. */
    public long minute() {
        return minuteOf(firstAt);
    }

    /** The start of the minute {@code timestamp} falls in. */
    public static long minuteOf(long timestamp) {
        return Math.floorDiv(timestamp, MINUTE) * MINUTE;
    }

    /** Prompt-side tokens: uncached input, cache reads and cache writes (the context the calls sent). */
    public long promptTokens() {
        return inputTokens + cachedInputTokens + cacheWriteTokens;
    }

    /** Billed tokens: input, cached input, cache writes and output (reasoning is part of output). */
    public long billedTokens() {
        return inputTokens + cachedInputTokens + cacheWriteTokens + outputTokens;
    }
}
