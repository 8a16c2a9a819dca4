package dev.tokenmin.ingest.throttle;

import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.schemas.scope.ScopeKey;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The decisions in force, by scope key: what the compacted throttle topic holds, minus what has lifted. One writer
 * (the view's thread) and any number of readers; a lookup costs one hash probe per scope of the request.
 */
final class DecisionTable {

    /**
     * Strictest first: the harsher action; then the lower context cap; then the most recent. Tier caps are names
     * from the routing table that only the router can order, so they do not break ties.
     */
    static final Comparator<ThrottleDecision> STRICTEST_FIRST = Comparator
            .comparingInt((ThrottleDecision d) -> strictness(d.getAction())).reversed()
            .thenComparingLong(d -> d.getMaxInputTokens() == null ? Long.MAX_VALUE : d.getMaxInputTokens())
            .thenComparing(ThrottleDecision::getDecidedAt, Comparator.reverseOrder());

    private final Map<String, ThrottleDecision> byScope = new ConcurrentHashMap<>();

    /** Records the decision for {@code scope} (null: lifted); returns the one it replaces, or null. */
    ThrottleDecision put(String scope, ThrottleDecision decision) {
        if (decision == null || decision.getAction() == ThrottleAction.NONE) {
            return byScope.remove(scope);
        }
        return byScope.put(scope, decision);
    }

    /** The strictest decision in force at {@code now} over {@code scopes}. */
    ThrottleVerdict verdict(List<ScopeKey> scopes, Instant now) {
        List<ThrottleDecision> active = null;
        for (ScopeKey scope : scopes) {
            ThrottleDecision d = byScope.get(scope.toString());
            if (d != null && inForce(d, now)) {
                if (active == null) {
                    active = new ArrayList<>(2);
                }
                active.add(d);
            }
        }
        if (active == null) {
            return ThrottleVerdict.NONE;
        }
        active.sort(STRICTEST_FIRST);
        return new ThrottleVerdict(active.getFirst(), active);
    }

    /** Removes every decision whose period has ended by {@code now}; returns them by scope. */
    Map<String, ThrottleDecision> removeEnded(Instant now) {
        Map<String, ThrottleDecision> ended = new HashMap<>();
        byScope.forEach((scope, d) -> {
            if (!inForce(d, now) && byScope.remove(scope, d)) {
                ended.put(scope, d);
            }
        });
        return ended;
    }

    int size() {
        return byScope.size();
    }

    /** Every decision in force at {@code now}, strictest first. */
    List<ThrottleDecision> allInForce(Instant now) {
        List<ThrottleDecision> all = new ArrayList<>();
        for (ThrottleDecision d : byScope.values()) {
            if (inForce(d, now)) {
                all.add(d);
            }
        }
        all.sort(STRICTEST_FIRST);
        return all;
    }

    static boolean inForce(ThrottleDecision d, Instant now) {
        return d.getPeriodEnd() == null || d.getPeriodEnd().isAfter(now);
    }

    private static int strictness(ThrottleAction action) {
        return switch (action) {
            case NONE -> 0;
            case DOWNGRADE -> 1;
            case LIMIT_CONTEXT -> 2;
            case BLOCK -> 3;
        };
    }
}
