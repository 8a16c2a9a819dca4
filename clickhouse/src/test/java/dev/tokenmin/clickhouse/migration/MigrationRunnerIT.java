package dev.tokenmin.clickhouse.migration;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.query.GenericRecord;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The migrations and their runner against the local ClickHouse engine, through the official client-v2. */
@ExtendWith(LocalStackExtension.class)
class MigrationRunnerIT {

    private static Client client(Stack stack) {
        return new Client.Builder().addEndpoint(stack.clickHouseUrl()).setUsername("default").setPassword("")
                .build();
    }

    private static long count(Client client, String sql) {
        List<GenericRecord> rows = client.queryAll(sql);
        return rows.getFirst().getLong(1);
    }

    @Test
    void shouldMigrateFromZeroThenFindNothingToDoAndKeepTheLedgerExact(Stack stack, TestNames names) {
        String db = names.database();
        try (Client client = client(stack)) {
            MigrationRunner runner = new MigrationRunner(client, MigrationRunner.Settings.of(db));
            List<Migration> all = Migrations.bundled();

            MigrationRunner.Result first = runner.migrate(all);
            MigrationRunner.Result again = runner.migrate(all);

            assertThat(first.applied()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(again.applied()).isEmpty();
            assertThat(again.alreadyApplied()).isEqualTo(6);
            assertThat(client.queryAll("SELECT name FROM system.tables WHERE database = '" + db + "' ORDER BY name")
                    .stream().map(r -> r.getString("name")).toList())
                    .containsExactly("alerts", "feature_efficiency_daily", "model_mix_daily", "prices",
                            "routing_savings_daily", "schema_migrations", "spend_by_customer_monthly",
                            "spend_by_feature_daily", "spend_by_user_feature_daily", "spend_daily", "spend_daily_mv",
                            "spend_hourly", "spend_hourly_mv", "throttle_decisions", "usage_events");

            // An event written twice is one row; its cost in USD is exact; the rollups follow the inserts.
            String row = "('00000000-0000-0000-0000-000000000001', '2026-11-22 10:00:00.000', 'gw', '', 'acme', "
                    + "'u1', 'summarize', 'ml', 's-1', 'openai', 'gpt-4.1', '', '', '', '', 120, 1000, 0, 0, 100, 0, "
                    + "map(), 2000000, 0, 0, 800000, 2800000, false, NULL, '2026-11-22 10:00:01.000')";
            String columns = "(event_id, occurred_at, source, request_id, customer_id, user_id, feature, team, "
                    + "session_id, provider, model, model_tier, requested_model, intent, status, latency_ms, "
                    + "input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, labels, "
                    + "input_cost_nanos, cached_input_cost_nanos, cache_write_cost_nanos, output_cost_nanos, "
                    + "total_cost_nanos, unpriced, price_effective_from, priced_at)";
            execute(client, "INSERT INTO " + db + ".usage_events " + columns + " VALUES " + row);
            execute(client, "INSERT INTO " + db + ".usage_events " + columns + " VALUES " + row.replace("'u1'",
                    "'u1'") + ", " + row.replace("0001'", "0002'"));
            assertThat(count(client, "SELECT count() FROM " + db + ".usage_events FINAL")).isEqualTo(2);
            assertThat(client.queryAll("SELECT toString(sum(total_cost_usd)) AS usd FROM " + db
                    + ".usage_events FINAL").getFirst().getString("usd")).isEqualTo("0.0056");
            assertThat(count(client, "SELECT sum(requests) FROM " + db + ".spend_daily")).as("three inserted rows, "
                    + "before dedup: rollups count what was inserted").isEqualTo(3);

            // The feature report's view answers from V006's projection (ClickHouse refuses the query otherwise),
            // exactly, over two parts and after their merge.
            String byFeature = "SELECT sum(cost_nanos) FROM " + db + ".spend_by_feature_daily WHERE feature = "
                    + "'summarize' SETTINGS force_optimize_projection_name = 'by_customer_feature_day'";
            assertThat(count(client, byFeature)).isEqualTo(3 * 2_800_000L);
            execute(client, "OPTIMIZE TABLE " + db + ".spend_daily FINAL");
            assertThat(count(client, byFeature)).as("summed at the merge, the projection rebuilt")
                    .isEqualTo(3 * 2_800_000L);
        }
    }

    @Test
    void shouldRefuseAnEditedMigrationAndADatabaseAheadOfTheBuild(Stack stack, TestNames names) {
        String db = names.database();
        try (Client client = client(stack)) {
            MigrationRunner runner = new MigrationRunner(client, MigrationRunner.Settings.of(db));
            List<Migration> all = Migrations.bundled();
            runner.migrate(all);

            List<Migration> edited = new ArrayList<>(all);
            Migration v2 = all.get(1);
            edited.set(1, new Migration(v2.version(), v2.description(), v2.sql() + "\n-- a late edit\n"));
            assertThatThrownBy(() -> runner.migrate(edited)).isInstanceOf(MigrationException.class)
                    .hasMessageContaining("migration V2 (rollups) was changed after it was applied");
            assertThatThrownBy(() -> runner.migrate(all.subList(0, 1))).isInstanceOf(MigrationException.class)
                    .hasMessageContaining("has migration 2 applied, which this build does not know");
            assertThat(count(client, "SELECT count() FROM system.tables WHERE database = '" + db + "' AND name = '"
                    + MigrationRunner.LOCK + "'")).as("the lock is released after a refusal").isZero();
        }
    }

    @Test
    void shouldApplyEachMigrationOnceWhenTwoRunnersStartAtOnce(Stack stack, TestNames names) throws Exception {
        String db = names.database();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Client a = client(stack); Client b = client(stack)) {
            List<Callable<MigrationRunner.Result>> runs = List.of(
                    () -> new MigrationRunner(a, MigrationRunner.Settings.of(db)).migrate(Migrations.bundled()),
                    () -> new MigrationRunner(b, MigrationRunner.Settings.of(db)).migrate(Migrations.bundled()));
            List<Integer> applied = new ArrayList<>();
            for (Future<MigrationRunner.Result> f : pool.invokeAll(runs)) {
                applied.addAll(f.get().applied());
            }
            assertThat(applied).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6);
            assertThat(count(a, "SELECT count() FROM " + db + ".schema_migrations")).isEqualTo(6);
        } finally {
            pool.shutdown();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldWaitForAHeldLockAndBreakAStaleOne(Stack stack, TestNames names) {
        String db = names.database();
        try (Client client = client(stack)) {
            execute(client, "CREATE DATABASE " + db);
            execute(client, "CREATE TABLE " + db + "." + MigrationRunner.LOCK + " (owner String) ENGINE = Memory");
            MigrationRunner.Settings held = new MigrationRunner.Settings(db, null, 30, Duration.ofMillis(500),
                    Duration.ofHours(1));
            assertThatThrownBy(() -> new MigrationRunner(client, held).migrate(Migrations.bundled()))
                    .isInstanceOf(MigrationException.class).hasMessageContaining("another runner holds the migration");

            MigrationRunner.Settings stale = new MigrationRunner.Settings(db, null, 30, Duration.ofSeconds(5),
                    Duration.ZERO);
            assertThat(new MigrationRunner(client, stale).migrate(Migrations.bundled()).applied())
                    .containsExactly(1, 2, 3, 4, 5, 6);
        }
    }

    private static void execute(Client client, String sql) {
        try {
            client.execute(sql).get(60, TimeUnit.SECONDS).close();
        } catch (Exception e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
