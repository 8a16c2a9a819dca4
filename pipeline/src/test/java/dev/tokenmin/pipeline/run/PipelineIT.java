package dev.tokenmin.pipeline.run;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.query.GenericRecord;
import com.clickhouse.client.api.query.QuerySettings;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.StackEndpoints;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.pipeline.console.Terminal;
import dev.tokenmin.pipeline.simulator.Scenario;
import dev.tokenmin.pipeline.simulator.SimCounts;
import dev.tokenmin.pipeline.simulator.Task.Actor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tokenmin up}'s scenario, accelerated (an hour in 10 s), against the real services as an existing
 * deployment ({@code --kafka}, {@code --registry}, {@code --clickhouse}): its own topics and database. It checks
 * what a user sees: the anomaly alert and the cause it names, the heavy user's decisions in order and the session's
 * block, refused requests and nothing of theirs in the ledger after the block, and the ledger's totals per customer
 * and feature equal to the simulator's own count.
 */
@ExtendWith(LocalStackExtension.class)
class PipelineIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Scenario scenario = Scenario.standard();

    @Test
    void theScenarioPlaysOutAndTheLedgerEqualsTheSimulatorsCount(Stack stack, @TempDir Path work) throws Exception {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(screen, true, StandardCharsets.UTF_8);
        StackEndpoints endpoints = new StackEndpoints(stack.kafkaBootstrapServers(), stack.schemaRegistryUrl(),
                stack.clickHouseUrl());
        // 54 s at x360 is 5.4 simulated hours: the whole scenario (5 hours) and a margin. Not faster: the runaway
        // session's block must reach routing while the agent still loops, a few seconds of real time at x360; at x720
        // that window was shorter than the decision latency of a loaded CI machine (a run with no refusal).
        Pipeline.Options options = new Pipeline.Options(endpoints, work, 60, 360, Duration.ofSeconds(54), 42, 3,
                Map.of());
        Pipeline.Result result = new Pipeline(options, out, new Terminal(out, false))
                .run(new CountDownLatch(1), System.nanoTime());
        String shown = screen.toString(StandardCharsets.UTF_8);

        SimCounts counts = result.counts();
        assertThat(shown).contains("ok  stream app", "ok  sidecar", "ok  simulator", "throttle decisions in force",
                "spend by feature per day", "totals match: every event sent is in the ledger once");
        assertThat(counts.sent()).isGreaterThan(2_000);
        assertThat(result.totalsMatch()).as("ClickHouse %d events, simulator sent %d", result.storedEvents(),
                counts.sent()).isTrue();

        try (Client ch = new Client.Builder().addEndpoint(stack.clickHouseUrl()).setUsername("default")
                .setPassword("").build()) {
            QuerySettings db = new QuerySettings().setDatabase(result.database());
            assertLedgerEqualsSimulator(ch, db, counts);
            assertAnomalyNamesContextInflation(ch, db);
            assertDecisionsInOrder(ch, db);
            assertNothingSentAfterTheBlock(ch, db, counts);
        }
    }

    private static void assertLedgerEqualsSimulator(Client ch, QuerySettings db, SimCounts counts) {
        Map<String, List<Long>> ledger = new TreeMap<>();
        for (GenericRecord r : ch.queryAll("SELECT customer_id, feature, count() AS n, sum(input_tokens) AS i,"
                + " sum(cached_input_tokens) AS c, sum(cache_write_tokens) AS w, sum(output_tokens) AS o"
                + " FROM usage_events FINAL GROUP BY customer_id, feature", db)) {
            ledger.put(r.getString("customer_id") + "|" + r.getString("feature"), List.of(r.getLong("n"),
                    r.getLong("i"), r.getLong("c"), r.getLong("w"), r.getLong("o")));
        }
        Map<String, List<Long>> expected = new TreeMap<>();
        counts.ledgers().forEach((key, l) -> expected.put(key, List.of(l.requests(), l.inputTokens(),
                l.cachedInputTokens(), l.cacheWriteTokens(), l.outputTokens())));
        assertThat(ledger).hasSize(30).isEqualTo(expected);
    }

    private void assertAnomalyNamesContextInflation(Client ch, QuerySettings db) throws Exception {
        List<GenericRecord> anomalies = ch.queryAll("SELECT scope, summary, detail FROM alerts FINAL"
                + " WHERE kind = 'ANOMALY' AND scope = 'feature:" + scenario.inflatedFeature() + "'", db);
        assertThat(anomalies).as("anomaly alerts on the inflated feature").hasSize(1);
        JsonNode detail = JSON.readTree(anomalies.getFirst().getString("detail"));
        assertThat(detail.path("causes").get(0).path("factor").asText()).isEqualTo("INPUT_TOKENS_PER_REQUEST");
        assertThat(detail.path("causes").get(0).path("ratio_micros").asLong()).isGreaterThan(3_000_000);
        assertThat(anomalies.getFirst().getString("summary")).contains("context inflation");
    }

    private void assertDecisionsInOrder(Client ch, QuerySettings db) {
        assertThat(actions(ch, db, scenario.userScope())).containsExactly("DOWNGRADE", "LIMIT_CONTEXT", "BLOCK");
        assertThat(actions(ch, db, scenario.sessionScope())).containsExactly("BLOCK");
        List<GenericRecord> budgetAlerts = ch.queryAll("SELECT count() AS n FROM alerts FINAL"
                + " WHERE kind = 'BUDGET_THRESHOLD' AND scope = '" + scenario.userScope() + "'", db);
        assertThat(budgetAlerts.getFirst().getLong("n")).isEqualTo(3);
    }

    private static List<String> actions(Client ch, QuerySettings db, String scope) {
        return ch.queryAll("SELECT action FROM throttle_decisions FINAL WHERE scope = '" + scope + "'"
                + " ORDER BY decided_at, topic_partition, topic_offset", db).stream()
                .map(r -> r.getString("action")).toList();
    }

    private void assertNothingSentAfterTheBlock(Client ch, QuerySettings db, SimCounts counts) {
        SimCounts.ActorCounts heavy = counts.actor(Actor.HEAVY_USER);
        SimCounts.ActorCounts runaway = counts.actor(Actor.RUNAWAY_AGENT);
        assertThat(heavy.downgraded()).isPositive();
        assertThat(heavy.trimmed()).isPositive();
        assertThat(heavy.refused()).isPositive();
        assertThat(runaway.refused()).isPositive();
        assertThat(counts.actor(Actor.BACKGROUND).refused()).isZero();
        Instant lastHeavy = ch.queryAll("SELECT max(occurred_at) AS t FROM usage_events FINAL WHERE customer_id = '"
                + scenario.heavyCustomer() + "' AND user_id = '" + scenario.heavyUser() + "'", db).getFirst()
                .getInstant("t");
        assertThat(lastHeavy).isBefore(heavy.firstRefused()).isEqualTo(heavy.lastSent());
        GenericRecord session = ch.queryAll("SELECT max(occurred_at) AS t, sum(total_cost_nanos) AS cost"
                + " FROM usage_events FINAL WHERE session_id = '" + scenario.runawaySession() + "'", db).getFirst();
        assertThat(session.getInstant("t")).isBefore(runaway.firstRefused());
        // The cap (10 USD) was reached. What the session spends past it are the calls made while the block travelled
        // (event -> stream app -> decision -> throttle view, about a second): at x360 the runaway calls every 22 ms
        // of real time, each costing up to 0.1 USD once its context is large, so a few times the cap.
        assertThat(session.getLong("cost")).isBetween(10_000_000_000L, 60_000_000_000L);
    }
}
