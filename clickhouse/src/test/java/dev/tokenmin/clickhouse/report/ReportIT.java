package dev.tokenmin.clickhouse.report;

import com.clickhouse.client.api.Client;
import dev.tokenmin.clickhouse.migration.MigrationRunner;
import dev.tokenmin.clickhouse.migration.Migrations;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The attribution reports over seeded events whose figures are worked out by hand (gpt-4.1: 2,000 nano-USD per
 * input token, 8,000 per output token; gpt-4.1-mini: 400 and 1,600).
 */
@ExtendWith(LocalStackExtension.class)
class ReportIT {

    private static final Instant SINCE = Instant.parse("2026-11-01T00:00:00Z");
    private Stack stack;
    private String db;

    private static final String COLUMNS = "(event_id, occurred_at, source, customer_id, user_id, feature, provider, "
            + "model, requested_model, status, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, "
            + "reasoning_tokens, labels, input_cost_nanos, cached_input_cost_nanos, cache_write_cost_nanos, "
            + "output_cost_nanos, total_cost_nanos, unpriced, priced_at)";

    private static String event(int n, String customer, String user, String feature, String model, String requested,
                                String status, long input, long output, long inPrice, long outPrice) {
        return "('00000000-0000-0000-0000-00000000000" + n + "', '2026-11-20 10:00:00.000', 'gw', '" + customer
                + "', '" + user + "', '" + feature + "', 'openai', '" + model + "', '" + requested + "', '" + status
                + "', " + input + ", 0, 0, " + output + ", 0, map(), " + input * inPrice + ", 0, 0, "
                + output * outPrice + ", " + (input * inPrice + output * outPrice) + ", false, "
                + "'2026-11-20 10:00:00.000')";
    }

    @BeforeEach
    void seed(Stack stack, TestNames names) throws Exception {
        this.stack = stack;
        this.db = names.database();
        try (Client client = new Client.Builder().addEndpoint(stack.clickHouseUrl()).setUsername("default")
                .setPassword("").build()) {
            new MigrationRunner(client, MigrationRunner.Settings.of(db)).migrate(Migrations.bundled());
            client.execute("INSERT INTO " + db + ".usage_events " + COLUMNS + " VALUES "
                    + event(1, "acme", "u1", "summarize", "gpt-4.1", "", "ok", 1_000, 100, 2_000, 8_000) + ", "
                    + event(2, "acme", "u2", "summarize", "gpt-4.1-mini", "gpt-4.1", "ok", 1_000, 100, 400, 1_600)
                    + ", " + event(3, "acme", "u1", "chat", "gpt-4.1", "", "error", 500, 0, 2_000, 8_000) + ", "
                    + event(4, "globex", "u9", "summarize", "gpt-4.1", "", "ok", 2_000, 200, 2_000, 8_000))
                    .get(60, TimeUnit.SECONDS).close();
            client.execute("INSERT INTO " + db + ".prices VALUES ('openai', 'gpt-4.1', 'medium', "
                    + "'2025-04-14 00:00:00.000', 2000000000, 500000000, 2000000000, 8000000000, 0, 1)")
                    .get(60, TimeUnit.SECONDS).close();
        }
    }

    private List<List<String>> run(Report report, String customer) {
        try (Client client = new Client.Builder().addEndpoint(stack.clickHouseUrl()).setUsername("default")
                .setPassword("").build()) {
            return new Reports(client, db).run(report, SINCE, customer, 10);
        }
    }

    @Test
    void shouldAttributeSpendByFeatureCustomerUserAndModel() {
        assertThat(run(Report.FEATURE, "acme")).containsExactly(
                List.of("2026-11-20", "summarize", "2", "0.00336"), List.of("2026-11-20", "chat", "1", "0.001"));
        assertThat(run(Report.CUSTOMER, null)).containsExactly(
                List.of("2026-11-01", "globex", "1", "0.0056"), List.of("2026-11-01", "acme", "3", "0.00436"));
        assertThat(run(Report.USERS, "acme")).containsExactly(List.of("chat", "u1", "1", "0.001"),
                List.of("summarize", "u1", "1", "0.0028"), List.of("summarize", "u2", "1", "0.00056"));
        assertThat(run(Report.MODEL_MIX, "acme")).containsExactly(List.of("chat", "openai/gpt-4.1", "1", "0.001",
                "100.0"), List.of("summarize", "openai/gpt-4.1", "1", "0.0028", "83.3"),
                List.of("summarize", "openai/gpt-4.1-mini", "1", "0.00056", "16.7"));
    }

    @Test
    void shouldShowCostPerSuccessContextShareAndWhatRoutingSaved() {
        assertThat(run(Report.SUCCESS, "acme")).containsExactly(List.of("summarize", "2", "2", "0.00336", "0.00168"),
                List.of("chat", "1", "0", "0.001", "0.001"));
        assertThat(run(Report.CONTEXT, "acme")).containsExactly(List.of("summarize", "0.0024", "0.00096", "71.4"),
                List.of("chat", "0.001", "0", "100.0"));
        // The mini call at gpt-4.1's price: 1,000 x 2,000 + 100 x 8,000 = 2,800,000 nano-USD; it cost 560,000.
        assertThat(run(Report.SAVINGS, null)).containsExactly(List.of("summarize", "1", "0.0028", "0.00056",
                "0.00224"));
    }

    @Test
    void shouldPrintAlignedTablesCsvAndTheSqlItRan() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Map<String, String> env = Map.of("TOKENMIN_CLICKHOUSE_URL", stack.clickHouseUrl(),
                "TOKENMIN_CLICKHOUSE_DATABASE", db);
        int code = new CommandLine(new ReportCommand(out, env, Instant.parse("2026-11-22T00:00:00Z")))
                .execute("--by", "feature", "--since", "30d", "--customer", "acme", "--show-sql");
        assertThat(code).isZero();
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("FROM spend_by_feature_daily").contains("spend by feature per day since");
        assertThat(text).contains("""
                day         feature    requests     cost
                ----------  ---------  --------  -------
                2026-11-20  summarize         2  0.00336
                2026-11-20  chat              1    0.001
                2 rows""");

        bytes.reset();
        new CommandLine(new ReportCommand(out, env, Instant.parse("2026-11-22T00:00:00Z")))
                .execute("--by", "customer", "--since", "2026-11-01", "--format", "csv");
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo(
                "month,customer,requests,cost\r\n2026-11-01,globex,1,0.0056\r\n2026-11-01,acme,3,0.00436\r\n");
    }
}
