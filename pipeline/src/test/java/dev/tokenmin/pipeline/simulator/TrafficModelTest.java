package dev.tokenmin.pipeline.simulator;

import dev.tokenmin.pipeline.simulator.Task.Actor;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class TrafficModelTest {

    private static final World WORLD = World.standard();
    private static final Scenario SCENARIO = Scenario.standard();
    private static final Instant START = Instant.parse("2026-11-10T08:00:00Z");
    private static final Instant END = START.plus(Duration.ofHours(8));

    private static List<Task> tasks(long seed) {
        return TrafficModel.all(new TrafficModel(WORLD, SCENARIO, START, END, 1_500, seed));
    }

    @Test
    void theSameSeedOffersTheSameTrafficAndAnotherSeedOther() {
        List<Task> a = tasks(42);
        List<Task> b = tasks(42);
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i)).usingRecursiveComparison().isEqualTo(b.get(i));
        }
        List<Task> c = tasks(43);
        assertThat(c.getFirst().eventId()).isNotEqualTo(a.getFirst().eventId());
        assertThat(a.stream().map(Task::eventId).collect(Collectors.toSet())).hasSize(a.size());
    }

    @Test
    void tasksComeInTimeOrderWithinTheSpan() {
        List<Task> all = tasks(7);
        for (int i = 1; i < all.size(); i++) {
            assertThat(all.get(i).at()).isAfterOrEqualTo(all.get(i - 1).at());
        }
        assertThat(all.getFirst().at()).isAfterOrEqualTo(START);
        assertThat(all.getLast().at()).isBeforeOrEqualTo(END);
    }

    @Test
    void backgroundCallsComeAtTheAskedRate() {
        long background = tasks(11).stream().filter(t -> t.actor() == Actor.BACKGROUND).count();
        // 8 hours at 1,500 calls an hour: Poisson starts, sessions of random length; within 10%.
        assertThat(background).isBetween(10_800L, 13_200L);
    }

    @Test
    void theInflatedFeatureSendsFourTimesTheContextForAnHourOnly() {
        List<Task> summarize = tasks(5).stream().filter(t -> t.feature().name().equals("summarize")).toList();
        Instant from = START.plus(SCENARIO.inflationFrom());
        Instant to = from.plus(SCENARIO.inflationFor());
        double during = meanPrompt(summarize.stream().filter(t -> !t.at().isBefore(from) && t.at().isBefore(to))
                .toList());
        double before = meanPrompt(summarize.stream().filter(t -> t.at().isBefore(from)).toList());
        double after = meanPrompt(summarize.stream().filter(t -> !t.at().isBefore(to)).toList());
        assertThat(during / before).isBetween(3.5, 4.5);
        assertThat(after / before).isBetween(0.85, 1.15);
    }

    private static double meanPrompt(List<Task> tasks) {
        return tasks.stream().mapToLong(Task::promptTokens).average().orElseThrow();
    }

    @Test
    void theHeavyUserAndTheRunawayAgentFollowTheScript() {
        List<Task> all = tasks(3);
        List<Task> heavy = all.stream().filter(t -> t.actor() == Actor.HEAVY_USER).toList();
        assertThat(heavy.getFirst().at()).isEqualTo(START.plus(SCENARIO.heavyFrom()));
        assertThat(heavy).allMatch(t -> t.customer().equals("acme") && t.user().equals("u-0042")
                && t.feature().name().equals("code-assist"));
        // every 8 to 12 s from +0:15 to +8:00
        assertThat(heavy.size()).isBetween(2_600, 2_950);

        List<Task> runaway = all.stream().filter(t -> t.actor() == Actor.RUNAWAY_AGENT).toList();
        assertThat(runaway.getFirst().at()).isEqualTo(START.plus(SCENARIO.runawayFrom()));
        assertThat(runaway.getLast().at()).isBefore(START.plus(SCENARIO.runawayFrom()).plus(SCENARIO.runawayFor()));
        assertThat(runaway).hasSize(450); // one step every 8 s for an hour
        assertThat(runaway.stream().map(Task::sessionId).collect(Collectors.toSet()))
                .isEqualTo(Set.of("globex-research-7781"));
        assertThat(runaway.get(10).promptTokens()).isGreaterThan(runaway.get(5).promptTokens());
        assertThat(runaway.get(10).cachedTokens()).isEqualTo(runaway.get(9).promptTokens() + runaway.get(9)
                .outputTokens());
    }

    @Test
    void chatsAndAgentRunsReuseTheirHistoryFromThePromptCache() {
        List<Task> sessions = tasks(9).stream().filter(t -> t.actor() == Actor.BACKGROUND && t.sessionId() != null)
                .toList();
        assertThat(sessions).isNotEmpty();
        assertThat(sessions).allMatch(t -> t.cachedTokens() < t.promptTokens());
        assertThat(sessions.stream().filter(t -> t.cachedTokens() > 0).count()).isGreaterThan(sessions.size() / 2);
        assertThat(sessions.stream().filter(t -> t.agentRunId() != null)).allMatch(t -> t.feature().name()
                .equals("research-agent"));
    }
}
