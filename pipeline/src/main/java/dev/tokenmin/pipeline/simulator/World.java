package dev.tokenmin.pipeline.simulator;

import dev.tokenmin.pipeline.simulator.RoutingTable.Model;

import java.util.ArrayList;
import java.util.List;

/**
 * Who calls models and for what: the simulated customers (each behind one of the gateways, with its users) and the
 * product features (each an intent of the prompt classifier, a team that owns it, the model it asks for, and the
 * sizes of its prompts and answers).
 */
public record World(List<String> gateways, List<Customer> customers, List<Feature> features) {

    /** How a feature calls models: one call per task, a chat of several turns, or an agent's loop of steps. */
    public enum Style { SINGLE, CHAT, AGENT }

    /**
     * @param id      customer id
     * @param gateway the gateway its traffic passes
     * @param weight  its share of the traffic, relative to the others
     * @param users   its user ids
     */
    public record Customer(String id, String gateway, int weight, List<String> users) {
    }

    /**
     * @param name            the feature
     * @param intent          what the classifier calls its prompts
     * @param team            the team that owns it
     * @param requested       the model the feature asks for; routing may choose a cheaper one
     * @param promptTokens    mean prompt size (first turn or step for chats and agents)
     * @param outputTokens    mean answer size
     * @param complexity      percent of prompts of low, medium and high complexity
     * @param style           single calls, chats or agent loops
     * @param weight          its share of tasks started, relative to the others
     */
    public record Feature(String name, String intent, String team, Model requested, int promptTokens,
                          int outputTokens, int[] complexity, Style style, int weight) {
    }

    /** Three gateways, five customers with twelve users each, six features. */
    public static World standard() {
        List<String> gateways = List.of("gw-eu-1", "gw-us-1", "gw-us-2");
        List<Customer> customers = List.of(
                customer("acme", "gw-eu-1", 30),
                customer("globex", "gw-us-1", 25),
                customer("initech", "gw-us-1", 20),
                customer("umbrella", "gw-us-2", 15),
                customer("hooli", "gw-eu-1", 10));
        List<Feature> features = List.of(
                new Feature("summarize", "summarization", "docs", RoutingTable.SONNET, 6_000, 350,
                        new int[] {50, 40, 10}, Style.SINGLE, 22),
                new Feature("code-assist", "code_generation", "dev", RoutingTable.OPUS, 3_000, 900,
                        new int[] {20, 50, 30}, Style.SINGLE, 18),
                new Feature("ticket-triage", "classification", "support", RoutingTable.GPT_4_1, 600, 12,
                        new int[] {80, 20, 0}, Style.SINGLE, 22),
                new Feature("invoice-extract", "extraction", "finance", RoutingTable.GPT_4_1, 2_500, 250,
                        new int[] {40, 50, 10}, Style.SINGLE, 16),
                new Feature("support-chat", "chat", "support", RoutingTable.GPT_4_1, 1_200, 220,
                        new int[] {50, 40, 10}, Style.CHAT, 4),
                new Feature("research-agent", "research", "ml", RoutingTable.OPUS, 4_000, 400,
                        new int[] {30, 50, 20}, Style.AGENT, 2));
        return new World(gateways, customers, features);
    }

    private static Customer customer(String id, String gateway, int weight) {
        List<String> users = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            users.add(String.format("u-%04d", i * 37 % 10_000));
        }
        return new Customer(id, gateway, weight, List.copyOf(users));
    }

    public Feature feature(String name) {
        return features.stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("feature: unknown \"" + name + "\""));
    }

    public Customer customer(String id) {
        return customers.stream().filter(c -> c.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("customer: unknown \"" + id + "\""));
    }
}
