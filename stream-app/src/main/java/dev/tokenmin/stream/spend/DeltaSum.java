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
    private final List<ModelSum> models = new ArrayList<>(4); // in order of first appearance
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
            ModelSum sum = modelSum(m.provider(), m.model());
            sum.requests += m.requests();
            sum.costNanos = Math.addExact(sum.costNanos, m.costNanos());
            sum.inputTokens += m.inputTokens();
            sum.outputTokens += m.outputTokens();
        }
        d.userCosts().forEach((user, cost) -> userCosts.merge(user, cost, Math::addExact));
        return this;
    }

    private ModelSum modelSum(String provider, String model) {
        for (ModelSum m : models) {
            if (m.provider.equals(provider) && m.model.equals(model)) {
                return m;
            }
        }
        ModelSum m = new ModelSum(provider, model);
        models.add(m);
        return m;
    }

    /** The sum so far, as a delta (with at most {@link SpendDelta#MAX_USERS} users, the costliest). */
    SpendDelta toDelta() {
        List<SpendDelta.ModelDelta> byModel = new ArrayList<>(models.size());
        for (ModelSum m : models) {
            byModel.add(new SpendDelta.ModelDelta(m.provider, m.model, m.requests, m.costNanos, m.inputTokens,
                    m.outputTokens));
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

    /** One model's share, summed in place. */
    private static final class ModelSum {
        private final String provider;
        private final String model;
        private long requests;
        private long costNanos;
        private long inputTokens;
        private long outputTokens;

        ModelSum(String provider, String model) {
            this.provider = provider;
            this.model = model;
        }
    }
}
