package dev.tokenmin.stream.spend;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link SpendDelta} being summed in place, as {@link SpendDeltaBuffer} sums a key's events between two flushes:
 * adding an event changes a few longs instead of building a new delta (with copies of its model list and user map)
 * per event, which was most of the buffer's time. Users are all kept while summing and cut to the
 * {@link SpendDelta#MAX_USERS} costliest when the sum is taken, so a named user's cost is that user's exact cost
 * within the sum. Not thread-safe: one task's.
 */
final class DeltaSum {

    private long minute = Long.MIN_VALUE;
    private long firstAt = Long.MAX_VALUE;
    private long lastAt = Long.MIN_VALUE;
    private long requests;
    private long unpricedRequests;
    private long costNanos;
    private long inputTokens;
    private long cachedInputTokens;
    private long cacheWriteTokens;
    private long outputTokens;
    private long reasoningTokens;
    private final List<long[]> modelFigures = new ArrayList<>(4); // requests, cost, input, output per model below
    private final List<String[]> models = new ArrayList<>(4); // provider, model
    private final Map<String, Long> userCosts = new HashMap<>();

    /** Adds {@code d}, which must be of the same minute as what was added before. */
    DeltaSum add(SpendDelta d) {
        if (minute == Long.MIN_VALUE) {
            minute = d.minute();
        } else if (minute != d.minute()) {
            throw new IllegalArgumentException("deltas of different minutes: " + minute + " and " + d.minute());
        }
        firstAt = Math.min(firstAt, d.firstAt());
        lastAt = Math.max(lastAt, d.lastAt());
        requests += d.requests();
        unpricedRequests += d.unpricedRequests();
        costNanos = Math.addExact(costNanos, d.costNanos());
        inputTokens += d.inputTokens();
        cachedInputTokens += d.cachedInputTokens();
        cacheWriteTokens += d.cacheWriteTokens();
        outputTokens += d.outputTokens();
        reasoningTokens += d.reasoningTokens();
        for (SpendDelta.ModelDelta m : d.byModel()) {
            long[] figures = figuresOf(m.provider(), m.model());
            figures[0] += m.requests();
            figures[1] = Math.addExact(figures[1], m.costNanos());
            figures[2] += m.inputTokens();
            figures[3] += m.outputTokens();
        }
        d.userCosts().forEach((user, cost) -> userCosts.merge(user, cost, Math::addExact));
        return this;
    }

    private long[] figuresOf(String provider, String model) {
        for (int i = 0; i < models.size(); i++) {
            String[] pm = models.get(i);
            if (pm[0].equals(provider) && pm[1].equals(model)) {
                return modelFigures.get(i);
            }
        }
        models.add(new String[] {provider, model});
        long[] figures = new long[4];
        modelFigures.add(figures);
        return figures;
    }

    /** The sum so far, as a delta (with at most {@link SpendDelta#MAX_USERS} users, the costliest). */
    SpendDelta toDelta() {
        List<SpendDelta.ModelDelta> byModel = new ArrayList<>(models.size());
        for (int i = 0; i < models.size(); i++) {
            long[] f = modelFigures.get(i);
            byModel.add(new SpendDelta.ModelDelta(models.get(i)[0], models.get(i)[1], f[0], f[1], f[2], f[3]));
        }
        return new SpendDelta(firstAt, lastAt, requests, unpricedRequests, costNanos, inputTokens, cachedInputTokens,
                cacheWriteTokens, outputTokens, reasoningTokens, byModel, costliestUsers());
    }

    /** The costliest users (ties: the smaller id, as {@link SpendDelta#plus} keeps). */
    private Map<String, Long> costliestUsers() {
        if (userCosts.size() <= SpendDelta.MAX_USERS) {
            return userCosts;
        }
        List<Map.Entry<String, Long>> all = new ArrayList<>(userCosts.entrySet());
        all.sort(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        Map<String, Long> top = new HashMap<>();
        for (Map.Entry<String, Long> e : all.subList(0, SpendDelta.MAX_USERS)) {
            top.put(e.getKey(), e.getValue());
        }
        return top;
    }
}
