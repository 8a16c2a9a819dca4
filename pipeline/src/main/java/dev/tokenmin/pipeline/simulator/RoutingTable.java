package dev.tokenmin.pipeline.simulator;

import java.util.Locale;
import java.util.Map;

/**
 * The simulated routing service's routing table: the prompt classifier's intent and complexity choose a model tier,
 * and each tier is served by one model. Tiers are ordered (small &lt; medium &lt; large), which is what lets the
 * router obey a throttle decision's {@code max_model_tier}: only the router knows its own tiers' order.
 */
public final class RoutingTable {

    /** Model tiers, cheapest first; their labels are what events carry in {@code model_tier}. */
    public enum Tier {
        SMALL, MEDIUM, LARGE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The tier a label names, or null for an unknown label. */
        public static Tier ofLabel(String label) {
            for (Tier t : values()) {
                if (t.label().equals(label)) {
                    return t;
                }
            }
            return null;
        }
    }

    /** The classifier's complexity label. */
    public enum Complexity {
        LOW, MEDIUM, HIGH;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A model as providers name it, with its tier. */
    public record Model(String provider, String name, Tier tier) {
        @Override
        public String toString() {
            return provider + "/" + name;
        }
    }

    public static final Model GPT_4_1_MINI = new Model("openai", "gpt-4.1-mini", Tier.SMALL);
    public static final Model GPT_4_1 = new Model("openai", "gpt-4.1", Tier.MEDIUM);
    public static final Model SONNET = new Model("anthropic", "claude-sonnet-4-5", Tier.MEDIUM);
    public static final Model OPUS = new Model("anthropic", "claude-opus-4-5", Tier.LARGE);

    /** The standard table: the tier per intent for low, medium and high complexity, and a model per tier. */
    public static final RoutingTable STANDARD = new RoutingTable(Map.of(
            "summarization", new Tier[] {Tier.SMALL, Tier.MEDIUM, Tier.MEDIUM},
            "code_generation", new Tier[] {Tier.MEDIUM, Tier.MEDIUM, Tier.LARGE},
            "classification", new Tier[] {Tier.SMALL, Tier.SMALL, Tier.SMALL},
            "extraction", new Tier[] {Tier.SMALL, Tier.SMALL, Tier.MEDIUM},
            "chat", new Tier[] {Tier.SMALL, Tier.SMALL, Tier.MEDIUM},
            "research", new Tier[] {Tier.MEDIUM, Tier.LARGE, Tier.LARGE}),
            Map.of(Tier.SMALL, GPT_4_1_MINI, Tier.MEDIUM, SONNET, Tier.LARGE, OPUS));

    private final Map<String, Tier[]> routes;
    private final Map<Tier, Model> models;

    public RoutingTable(Map<String, Tier[]> routes, Map<Tier, Model> models) {
        this.routes = Map.copyOf(routes);
        this.models = Map.copyOf(models);
    }

    /** The tier the table chooses for a classified prompt. */
    public Tier route(String intent, Complexity complexity) {
        Tier[] byComplexity = routes.get(intent);
        if (byComplexity == null) {
            throw new IllegalArgumentException("intent: no route for \"" + intent + "\"");
        }
        return byComplexity[complexity.ordinal()];
    }

    public Model model(Tier tier) {
        return models.get(tier);
    }
}
