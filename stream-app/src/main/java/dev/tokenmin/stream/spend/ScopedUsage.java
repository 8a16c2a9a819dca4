package dev.tokenmin.stream.spend;

import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.UsageEvent;

import java.util.UUID;

/**
 * What counting an event in a scope needs of it: its id and time, its model, its cost and its token counts. The
 * by-scope topic carries this, six times per event (one per scope), instead of the whole priced event: about a
 * third of the bytes, and no labels or request ids copied six times into an internal topic.
 *
 * @param eventId    the event's id
 * @param occurredAt its event time, epoch millis
 * @param provider   the provider
 * @param model      the model
 * @param costNanos  its total cost, nano-USD
 * @param unpriced   whether it was counted at cost 0 for want of a price
 * @param userId     the user (as the agent sent it, possibly a pseudonym), or null; anomaly alerts name top users
 */
public record ScopedUsage(UUID eventId, long occurredAt, String provider, String model, long costNanos,
                          boolean unpriced, long inputTokens, long cachedInputTokens, long cacheWriteTokens,
                          long outputTokens, long reasoningTokens, String userId) {

    public static ScopedUsage of(PricedUsage priced) {
        UsageEvent e = priced.getEvent();
        return new ScopedUsage(e.getEventId(), e.getOccurredAt().toEpochMilli(), e.getProvider(), e.getModel(),
                priced.getCost().getTotalNanos(), priced.getUnpriced(), e.getInputTokens(), e.getCachedInputTokens(),
                e.getCacheWriteTokens(), e.getOutputTokens(), e.getReasoningTokens(), e.getUserId());
    }

    /** Prompt-side tokens: uncached input, cache reads and cache writes (the context the call sent). */
    public long promptTokens() {
        return inputTokens + cachedInputTokens + cacheWriteTokens;
    }

    /** Billed tokens: input, cached input, cache writes and output (reasoning is part of output). */
    public long billedTokens() {
        return inputTokens + cachedInputTokens + cacheWriteTokens + outputTokens;
    }
}
