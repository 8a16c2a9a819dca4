package dev.tokenmin.pipeline.simulator;

import dev.tokenmin.pipeline.simulator.RoutingTable.Complexity;
import dev.tokenmin.pipeline.simulator.World.Feature;

import java.time.Instant;
import java.util.UUID;

/**
 * One model call a product wants to make, before routing: who, for what, how complex, how large. The routing
 * service chooses its model (or refuses it); the provider's answer then has these token counts.
 *
 * @param at             simulated time of the call
 * @param eventId        the usage event's id, drawn from the seeded generator
 * @param actor          which part of the traffic it belongs to
 * @param gateway        the gateway it passes
 * @param customer       customer id
 * @param user           user id
 * @param feature        the feature
 * @param sessionId      the chat or agent session, or null
 * @param agentRunId     the agent run, or null
 * @param complexity     the classifier's complexity label
 * @param promptTokens   prompt size, all of it (cached, cache writes and uncached)
 * @param cachedTokens   the part of the prompt the provider's cache can serve (a repeated prefix)
 * @param outputTokens   answer size
 * @param latencyMs      the call's wall time
 * @param failed         whether the provider failed the call (its tokens are billed all the same)
 */
public record Task(Instant at, UUID eventId, Actor actor, String gateway, String customer, String user,
                   Feature feature, String sessionId, String agentRunId, Complexity complexity, long promptTokens,
                   long cachedTokens, long outputTokens, long latencyMs, boolean failed) {

    /** The parts of the traffic: the steady background and the scripted incidents. */
    public enum Actor { BACKGROUND, HEAVY_USER, RUNAWAY_AGENT }
}
