package dev.tokenmin.ingest.throttle;

import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.ThrottleDecision;

import java.util.List;

/**
 * The answer for one request: the strictest decision in force over its scopes, if any, and every decision in force
 * (for a router that combines them, e.g. the lowest tier cap of one scope with the context cap of another).
 *
 * @param strictest the strictest decision, or null when no scope of the request is restricted
 * @param active    every decision in force for the request's scopes, strictest first
 */
public record ThrottleVerdict(ThrottleDecision strictest, List<ThrottleDecision> active) {

    public static final ThrottleVerdict NONE = new ThrottleVerdict(null, List.of());

    public ThrottleVerdict {
        active = List.copyOf(active);
    }

    /** What to do: {@code NONE} when nothing restricts the request. */
    public ThrottleAction action() {
        return strictest == null ? ThrottleAction.NONE : strictest.getAction();
    }
}
