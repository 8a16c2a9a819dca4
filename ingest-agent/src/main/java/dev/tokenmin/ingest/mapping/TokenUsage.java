package dev.tokenmin.ingest.mapping;

/**
 * Tokens of one call in tokenmin's canonical fields, which never overlap: uncached input, cache reads, cache
 * writes, output (reasoning included) and reasoning (informative, already in output). Summing the first four gives
 * every billed token exactly once.
 */
public record TokenUsage(long inputTokens, long cachedInputTokens, long cacheWriteTokens, long outputTokens,
                         long reasoningTokens) {

    public TokenUsage {
        if (inputTokens < 0 || cachedInputTokens < 0 || cacheWriteTokens < 0 || outputTokens < 0
                || reasoningTokens < 0) {
            throw new IllegalArgumentException("token counts must not be negative: " + this);
        }
        if (reasoningTokens > outputTokens) {
            throw new IllegalArgumentException("reasoning tokens (" + reasoningTokens + ") are part of output tokens ("
                    + outputTokens + ") and cannot exceed them");
        }
    }

    /** Every input token the provider processed: uncached, cache reads and cache writes. */
    public long totalInputTokens() {
        return inputTokens + cachedInputTokens + cacheWriteTokens;
    }

    /** Every billed token, each counted once. */
    public long totalTokens() {
        return totalInputTokens() + outputTokens;
    }
}
