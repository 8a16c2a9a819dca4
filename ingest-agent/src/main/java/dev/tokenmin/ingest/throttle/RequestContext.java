package dev.tokenmin.ingest.throttle;

import dev.tokenmin.schemas.scope.ScopeKey;

import java.util.List;

/**
 * Who a model call is for, as the routing service knows it before the call: the parts that name the scopes a
 * throttle decision can apply to. Any part may be null.
 */
public record RequestContext(String customer, String user, String feature, String team, String session) {

    /** Every scope this request falls under ({@link ScopeKey#ofRequest}). */
    public List<ScopeKey> scopes() {
        return ScopeKey.ofRequest(customer, user, feature, team, session);
    }

    /** The same request with the user id replaced, e.g. by its keyed hash. */
    public RequestContext withUser(String user) {
        return new RequestContext(customer, user, feature, team, session);
    }
}
