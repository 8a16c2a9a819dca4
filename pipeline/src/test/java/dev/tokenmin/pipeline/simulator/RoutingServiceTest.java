package dev.tokenmin.pipeline.simulator;

import dev.tokenmin.pipeline.simulator.RoutingService.Called;
import dev.tokenmin.pipeline.simulator.RoutingService.Refused;
import dev.tokenmin.pipeline.simulator.RoutingService.Verdict;
import dev.tokenmin.pipeline.simulator.RoutingTable.Complexity;
import dev.tokenmin.pipeline.simulator.RoutingTable.Tier;
import dev.tokenmin.pipeline.simulator.Task.Actor;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class RoutingServiceTest {

    private static final World WORLD = World.standard();
    private final RoutingService routing = new RoutingService(RoutingTable.STANDARD);

    private static Task task(String feature, Complexity complexity, String session, long prompt, long cached) {
        return new Task(Instant.parse("2026-11-10T10:00:00Z"), UUID.randomUUID(), Actor.BACKGROUND, "gw-eu-1", "acme",
                "u-0042", WORLD.feature(feature), session, null, complexity, prompt, cached, 500, 900, false);
    }

    @Test
    void withoutDecisionsTheTableChoosesTheTier() {
        Called hard = (Called) routing.route(task("code-assist", Complexity.HIGH, null, 3_000, 1_800), Verdict.NONE);
        assertThat(hard.model()).isEqualTo(RoutingTable.OPUS);
        assertThat(hard.inputTokens()).isEqualTo(1_200);
        assertThat(hard.cachedInputTokens()).isEqualTo(1_800);
        assertThat(hard.downgraded()).isFalse();
        Called easy = (Called) routing.route(task("ticket-triage", Complexity.LOW, null, 600, 0), Verdict.NONE);
        assertThat(easy.model()).isEqualTo(RoutingTable.GPT_4_1_MINI);
        assertThat(easy.tier().label()).isEqualTo("small");
    }

    @Test
    void aDowngradeCapsTheTierButNeverRaisesIt() {
        Verdict medium = new Verdict(false, Tier.MEDIUM, null, "budget b: 50%");
        Called capped = (Called) routing.route(task("code-assist", Complexity.HIGH, null, 3_000, 0), medium);
        assertThat(capped.model()).isEqualTo(RoutingTable.SONNET);
        assertThat(capped.downgraded()).isTrue();
        Called already = (Called) routing.route(task("ticket-triage", Complexity.LOW, null, 600, 0), medium);
        assertThat(already.tier()).isEqualTo(Tier.SMALL);
        assertThat(already.downgraded()).isFalse();
    }

    @Test
    void aContextCapTrimsTheOldestContextAndWithItTheCachedPrefix() {
        Verdict limit = new Verdict(false, Tier.MEDIUM, 1_500L, "budget b: 80%");
        Called trimmed = (Called) routing.route(task("code-assist", Complexity.HIGH, null, 4_000, 2_400), limit);
        assertThat(trimmed.trimmed()).isTrue();
        assertThat(trimmed.inputTokens()).isEqualTo(1_500);
        assertThat(trimmed.cachedInputTokens()).isZero();
        Called small = (Called) routing.route(task("code-assist", Complexity.HIGH, null, 1_000, 600), limit);
        assertThat(small.trimmed()).isFalse();
        assertThat(small.inputTokens() + small.cachedInputTokens()).isEqualTo(1_000);
    }

    @Test
    void aBlockRefusesWithBudgetExhausted() {
        var outcome = routing.route(task("summarize", Complexity.LOW, null, 5_000, 0),
                new Verdict(true, null, null, "budget b: 100% of 15 USD per month"));
        assertThat(outcome).isInstanceOf(Refused.class);
        assertThat(((Refused) outcome).reason()).startsWith("budget exhausted");
    }

    @Test
    void anthropicSessionsWriteTheirNewPrefixToTheCache() {
        Called agent = (Called) routing.route(task("research-agent", Complexity.HIGH, "s-1", 10_000, 8_000),
                Verdict.NONE);
        assertThat(agent.model().provider()).isEqualTo("anthropic");
        assertThat(agent.cacheWriteTokens()).isEqualTo(2_000);
        assertThat(agent.inputTokens()).isZero();
        assertThat(agent.totalTokens()).isEqualTo(10_000 + 500);
    }
}
