package dev.tokenmin.pipeline.simulator;

import dev.tokenmin.pipeline.simulator.RoutingTable.Model;
import dev.tokenmin.pipeline.simulator.RoutingTable.Tier;

/**
 * The simulated routing service: it routes a classified task to a model tier by the routing table, then obeys the
 * throttle decisions in force for the task's scopes — the highest tier they allow, the most input tokens they
 * allow (the oldest context is trimmed, which also loses the prompt cache's prefix), or a refusal with "budget
 * exhausted" — and reports the call's usage as its gateway would.
 */
public final class RoutingService {

    /**
     * The decisions in force for one request, combined: refuse, the highest tier allowed, the most input tokens.
     *
     * @param block          whether any decision blocks
     * @param maxTier        the lowest tier cap of any decision, or null
     * @param maxInputTokens the smallest context cap of any decision, or null
     * @param reason         the strictest decision's reason, or null
     */
    public record Verdict(boolean block, Tier maxTier, Long maxInputTokens, String reason) {
        public static final Verdict NONE = new Verdict(false, null, null, null);
    }

    /** What became of a task. */
    public sealed interface Outcome permits Called, Refused {
        Task task();
    }

    /**
     * The task was served.
     *
     * @param model       the model that served it
     * @param tier        its tier
     * @param downgraded  a decision lowered the tier the table chose
     * @param trimmed     a decision capped the context
     */
    public record Called(Task task, Model model, Tier tier, long inputTokens, long cachedInputTokens,
                         long cacheWriteTokens, long outputTokens, boolean downgraded, boolean trimmed)
            implements Outcome {

        public long totalTokens() {
            return inputTokens + cachedInputTokens + cacheWriteTokens + outputTokens;
        }
    }

    /** The task was refused: its budget is exhausted. */
    public record Refused(Task task, String reason) implements Outcome {
    }

    private final RoutingTable table;

    public RoutingService(RoutingTable table) {
        this.table = table;
    }

    public Outcome route(Task task, Verdict verdict) {
        if (verdict.block()) {
            return new Refused(task, "budget exhausted: " + verdict.reason());
        }
        Tier chosen = table.route(task.feature().intent(), task.complexity());
        Tier tier = chosen;
        if (verdict.maxTier() != null && verdict.maxTier().compareTo(tier) < 0) {
            tier = verdict.maxTier();
        }
        Model model = table.model(tier);
        long prompt = task.promptTokens();
        long cached = task.cachedTokens();
        boolean trimmed = verdict.maxInputTokens() != null && prompt > verdict.maxInputTokens();
        if (trimmed) {
            prompt = verdict.maxInputTokens();
            cached = 0;
        }
        long fresh = prompt - cached;
        // Anthropic bills writing a session's new prefix to the prompt cache apart; others bill it as input.
        boolean writesCache = task.sessionId() != null && model.provider().equals("anthropic");
        return new Called(task, model, tier, writesCache ? 0 : fresh, cached, writesCache ? fresh : 0,
                task.failed() ? task.outputTokens() / 4 : task.outputTokens(), tier != chosen, trimmed);
    }
}
