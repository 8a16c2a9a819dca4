package dev.tokenmin.ingest.throttle;

import dev.tokenmin.avro.ThrottleDecision;

/** Told when the decision for a scope changes; called on the view's thread, so it must return quickly. */
@FunctionalInterface
public interface ThrottleListener {

    /**
     * @param scope  the scope key
     * @param before the decision in force until now, or null
     * @param after  the decision in force from now, or null when the restriction was lifted (a tombstone, or the
     *               decision's period ended)
     */
    void changed(String scope, ThrottleDecision before, ThrottleDecision after);
}
