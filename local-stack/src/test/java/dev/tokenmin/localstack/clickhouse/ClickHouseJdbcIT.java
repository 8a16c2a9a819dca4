package dev.tokenmin.localstack.clickhouse;

import com.clickhouse.client.api.ServerException;
import com.clickhouse.jdbc.DriverProperties;
import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The official clickhouse-jdbc driver, unchanged, against the local ClickHouse. */
@ExtendWith(LocalStackExtension.class)
class ClickHouseJdbcIT {

    private static final int ROWS = 100_000;
    private static final String[] FEATURES = {"summarize", "codegen", "classify", "extract"};

    private static Connection connect(Stack stack, String database, Map<String, String> settings)
            throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "default");
        p.setProperty("password", "");
        settings.forEach((k, v) -> p.setProperty(DriverProperties.serverSetting(k), v));
        return DriverManager.getConnection(stack.clickHouseJdbcUrl(database), p);
    }

    private static String createDatabase(Stack stack, TestNames names) throws SQLException {
        String db = names.database();
        try (Connection c = connect(stack, "default", Map.of()); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + db);
        }
        return db;
    }

    @Test
    void shouldBatchInsert100kRowsAndReadBackExactSums(Stack stack, TestNames names) throws Exception {
        String db = createDatabase(stack, names);
        Instant base = Instant.parse("2026-11-01T00:00:00.123Z");
        BigDecimal expectedCost = BigDecimal.ZERO;
        long expectedMillis = 0;
        long expectedN = 0;
        long[] perFeature = new long[FEATURES.length];

        try (Connection c = connect(stack, db, Map.of())) {
            try (Statement st = c.createStatement()) {
                // ORDER BY id: the replacing key, so a repeated event id collapses to one row.
                st.execute("""
                        CREATE TABLE usage (id UUID, ts DateTime64(3, 'UTC'), customer String,
                          feature LowCardinality(String), cost Decimal(18, 9), labels Map(String, String))
                        ENGINE = ReplacingMergeTree ORDER BY id""");
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO usage (id, ts, customer, feature, cost, labels) VALUES (?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < ROWS; i++) {
                    BigDecimal cost = BigDecimal.valueOf(123_456_789L * (i % 1000 + 1), 9); // up to 123.456789 USD
                    Instant ts = base.plusMillis(i * 1_001L);
                    ps.setObject(1, UUID.nameUUIDFromBytes(("event-" + i).getBytes()));
                    ps.setObject(2, OffsetDateTime.ofInstant(ts, ZoneOffset.UTC));
                    ps.setString(3, "customer-" + (i % 7) + (i % 13 == 0 ? " o'quote \\ \t\n" : ""));
                    ps.setString(4, FEATURES[i % FEATURES.length]);
                    ps.setBigDecimal(5, cost);
                    ps.setObject(6, Map.of("n", String.valueOf(i), "tier", i % 2 == 0 ? "small" : "large"));
                    ps.addBatch();
                    expectedCost = expectedCost.add(cost);
                    expectedMillis += ts.toEpochMilli();
                    expectedN += i;
                    perFeature[i % FEATURES.length]++;
                }
                int[] counts = ps.executeBatch();
                assertThat(counts).hasSize(ROWS);
            }
            // A repeated event id: kept once after deduplication.
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO usage (id, ts, customer, feature, cost, labels) VALUES (?, ?, ?, ?, ?, ?)")) {
                ps.setObject(1, UUID.nameUUIDFromBytes("event-0".getBytes()));
                ps.setObject(2, OffsetDateTime.ofInstant(base, ZoneOffset.UTC));
                ps.setString(3, "customer-0 o'quote \\ \t\n");
                ps.setString(4, FEATURES[0]);
                ps.setBigDecimal(5, BigDecimal.valueOf(123_456_789L, 9));
                ps.setObject(6, Map.of("n", "0", "tier", "small"));
                ps.executeUpdate();
            }

            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                    SELECT count(), sum(cost), sum(toUnixTimestamp64Milli(ts)), sum(toUInt64(labels['n'])),
                           uniqExact(id), min(ts), max(ts)
                    FROM usage FINAL""")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).isEqualTo(ROWS);
                assertThat(rs.getBigDecimal(2)).isEqualByComparingTo(expectedCost);
                assertThat(rs.getBigDecimal(3).longValueExact()).isEqualTo(expectedMillis);
                assertThat(rs.getBigDecimal(4).longValueExact()).isEqualTo(expectedN);
                assertThat(rs.getLong(5)).isEqualTo(ROWS);
                assertThat(rs.getObject(6, OffsetDateTime.class).toInstant()).isEqualTo(base);
                assertThat(rs.getObject(7, OffsetDateTime.class).toInstant())
                        .isEqualTo(base.plusMillis((ROWS - 1) * 1_001L));
            }
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT feature, count() FROM usage FINAL GROUP BY feature ORDER BY feature")) {
                List<String> seen = new ArrayList<>();
                while (rs.next()) {
                    int index = List.of(FEATURES).indexOf(rs.getString(1));
                    assertThat(rs.getLong(2)).as(rs.getString(1)).isEqualTo(perFeature[index]);
                    seen.add(rs.getString(1));
                }
                assertThat(seen).containsExactlyInAnyOrder(FEATURES);
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT customer, labels, ts FROM usage WHERE id = ?")) {
                ps.setObject(1, UUID.nameUUIDFromBytes("event-13".getBytes()));
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).isEqualTo("customer-6 o'quote \\ \t\n");
                    assertThat(rs.getObject(2)).asString().contains("n=13").contains("tier=large");
                    assertThat(rs.getObject(3, OffsetDateTime.class).toInstant()).isEqualTo(base.plusMillis(13_013));
                }
            }
        }
    }

    @Test
    void shouldRaiseSqlExceptionWithClickHousesCodeAndMessageForBadSql(Stack stack) throws Exception {
        try (Connection c = connect(stack, "default", Map.of()); Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.executeQuery("SELECT FROM WHERE ,,"))
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(62))
                    .hasMessageContaining("Syntax error");
            assertThatThrownBy(() -> st.executeQuery("SELECT * FROM no_such_table_anywhere"))
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(60))
                    .hasMessageContaining("no_such_table_anywhere");
        }
    }

    @Test
    void shouldKeepEachRequestsSettingsToItselfWhenTwoThreadsQueryAtOnce(Stack stack) throws Exception {
        int rounds = 200;
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            List<Future<List<String>>> results = new ArrayList<>();
            for (String maxThreads : List.of("1", "3")) {
                Callable<List<String>> reader = () -> {
                    List<String> seen = new ArrayList<>();
                    try (Connection c = connect(stack, "default", Map.of("max_threads", maxThreads));
                         Statement st = c.createStatement()) {
                        for (int i = 0; i < rounds; i++) {
                            try (ResultSet rs = st.executeQuery(
                                    "SELECT getSetting('max_threads'), count() FROM numbers(100000)")) {
                                rs.next();
                                seen.add(rs.getString(1));
                            }
                        }
                    }
                    return seen;
                };
                results.add(pool.submit(reader));
            }
            assertThat(results.get(0).get()).hasSize(rounds).containsOnly("1");
            assertThat(results.get(1).get()).hasSize(rounds).containsOnly("3");
        }
        try (Connection c = connect(stack, "default", Map.of()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT changed FROM system.settings WHERE name = 'max_threads'")) {
            rs.next();
            assertThat(rs.getInt(1)).as("a request without settings gets the defaults back").isZero();
        }
    }

    @Test
    void shouldStopAQueryThatRunsPastMaxExecutionTime(Stack stack) throws Exception {
        try (Connection c = connect(stack, "default", Map.of("max_execution_time", "1"));
             Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.executeQuery(
                    "SELECT count() FROM numbers_mt(100000000000) WHERE sipHash64(number) % 7 = 3"))
                    // The driver turns ClickHouse's TIMEOUT_EXCEEDED into its own message; the server's is the cause.
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("execution time exceeded")
                    .rootCause()
                    .isInstanceOf(ServerException.class)
                    .hasMessageContaining("Code: 159")
                    .satisfies(e -> assertThat(((ServerException) e).getCode()).isEqualTo(159));
        }
    }

    @Test
    void shouldKeepDataWhenClickHouseIsKilledAndRestarted(LocalStack stack, TestNames names) throws Exception {
        String db = createDatabase(stack, names);
        try (Connection c = connect(stack, db, Map.of()); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t (x UInt64) ENGINE = MergeTree ORDER BY x");
            st.execute("INSERT INTO t SELECT number FROM numbers(1000)");
        }

        stack.clickHouse().kill();
        stack.clickHouse().restart();

        try (Connection c = connect(stack, db, Map.of()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(), sum(x) FROM t")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(1000);
            assertThat(rs.getLong(2)).isEqualTo(999 * 1000 / 2);
        }
    }
}
