package dev.tokenmin.localstack.clickhouse;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.CompressionMethod;
import com.clickhouse.client.api.ServerException;
import com.clickhouse.client.api.insert.InsertResponse;
import com.clickhouse.client.api.query.GenericRecord;
import com.clickhouse.client.api.query.QuerySettings;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The official client-v2, unchanged, against the local ClickHouse: RowBinary inserts with LZ4 both ways. */
@ExtendWith(LocalStackExtension.class)
class ClickHouseClientV2IT {

    private static final int ROWS = 100_000;

    /** One usage row, as client-v2 maps a POJO to RowBinary by its getters. */
    public static final class UsageRow {
        private UUID id;
        private ZonedDateTime ts;
        private String feature;
        private long tokens;
        private BigDecimal cost;
        private Map<String, String> labels;

        public UUID getId() {
            return id;
        }

        public void setId(UUID id) {
            this.id = id;
        }

        public ZonedDateTime getTs() {
            return ts;
        }

        public void setTs(ZonedDateTime ts) {
            this.ts = ts;
        }

        public String getFeature() {
            return feature;
        }

        public void setFeature(String feature) {
            this.feature = feature;
        }

        public long getTokens() {
            return tokens;
        }

        public void setTokens(long tokens) {
            this.tokens = tokens;
        }

        public BigDecimal getCost() {
            return cost;
        }

        public void setCost(BigDecimal cost) {
            this.cost = cost;
        }

        public Map<String, String> getLabels() {
            return labels;
        }

        public void setLabels(Map<String, String> labels) {
            this.labels = labels;
        }
    }

    private static Client client(Stack stack, String database) {
        return new Client.Builder()
                .addEndpoint(stack.clickHouseUrl())
                .setUsername("default")
                .setPassword("")
                .setDefaultDatabase(database)
                .compressClientRequest(true)
                .compressServerResponse(true)
                .compressionMethod(CompressionMethod.LZ4)
                .build();
    }

    @Test
    void shouldInsert100kRowsAsRowBinaryAndSumThemExactly(Stack stack, TestNames names) throws Exception {
        String db = names.database();
        try (Client admin = client(stack, "default")) {
            admin.execute("CREATE DATABASE " + db).get(30, TimeUnit.SECONDS);
        }
        try (Client client = client(stack, db)) {
            client.execute("""
                    CREATE TABLE usage (id UUID, ts DateTime64(3, 'UTC'), feature LowCardinality(String),
                      tokens UInt64, cost Decimal(18, 9), labels Map(String, String))
                    ENGINE = ReplacingMergeTree ORDER BY (feature, id)""").get(30, TimeUnit.SECONDS);
            client.register(UsageRow.class, client.getTableSchema("usage"));

            ZonedDateTime base = ZonedDateTime.of(2026, 11, 1, 0, 0, 0, 123_000_000, ZoneOffset.UTC);
            List<UsageRow> rows = new ArrayList<>(ROWS);
            long expectedTokens = 0;
            BigDecimal expectedCost = BigDecimal.ZERO;
            for (int i = 0; i < ROWS; i++) {
                UsageRow row = new UsageRow();
                row.setId(UUID.nameUUIDFromBytes(("v2-" + i).getBytes()));
                row.setTs(base.plusSeconds(i));
                row.setFeature("feature-" + (i % 5));
                row.setTokens(1_000L + i);
                row.setCost(BigDecimal.valueOf(1L + i, 9));
                // Blank lines inside binary data: the engine would cut inline data here.
                row.setLabels(Map.of("note", "a\n\nb", "i", String.valueOf(i)));
                rows.add(row);
                expectedTokens += 1_000L + i;
                expectedCost = expectedCost.add(row.getCost());
            }

            InsertResponse response = client.insert("usage", rows).get(120, TimeUnit.SECONDS);
            assertThat(response.getWrittenRows()).isEqualTo(ROWS);

            List<GenericRecord> result = client.queryAll(
                    "SELECT count() AS n, sum(tokens) AS tokens, sum(cost) AS cost, uniqExact(id) AS ids, "
                            + "countIf(labels['note'] = 'a\\n\\nb') AS notes FROM usage");
            GenericRecord totals = result.getFirst();
            assertThat(totals.getLong("n")).isEqualTo(ROWS);
            assertThat(totals.getBigInteger("tokens").longValueExact()).isEqualTo(expectedTokens);
            assertThat(totals.getBigDecimal("cost")).isEqualByComparingTo(expectedCost);
            assertThat(totals.getLong("ids")).isEqualTo(ROWS);
            assertThat(totals.getLong("notes")).isEqualTo(ROWS);
        }
    }

    @Test
    void shouldBindServerSideQueryParameters(Stack stack) throws Exception {
        try (Client client = client(stack, "default")) {
            List<GenericRecord> rows = client.queryAll(
                    "SELECT {a:UInt32} + {b:UInt32} AS s, {who:String} AS who",
                    Map.of("a", 40, "b", 2, "who", "o'brien"), new QuerySettings());
            assertThat(rows.getFirst().getLong("s")).isEqualTo(42);
            assertThat(rows.getFirst().getString("who")).isEqualTo("o'brien");
        }
    }

    @Test
    void shouldReportServerErrorsWithTheirCode(Stack stack) {
        try (Client client = client(stack, "default")) {
            // queryAll wraps what the server said; the server's exception is the root cause.
            assertThatThrownBy(() -> client.queryAll("SELECT * FROM no_such_table_v2"))
                    .rootCause()
                    .isInstanceOf(ServerException.class)
                    .satisfies(e -> assertThat(((ServerException) e).getCode()).isEqualTo(60))
                    .hasMessageContaining("no_such_table_v2");
        }
    }

    @Test
    void shouldAnswerABodyItCannotDecompressWithAnErrorNotADroppedConnection(Stack stack) {
        // client-v2 compresses request bodies with ZSTD unless told LZ4; the local server decodes LZ4 only.
        try (Client client = new Client.Builder().addEndpoint(stack.clickHouseUrl()).setUsername("default")
                .setPassword("").compressClientRequest(true).build()) {
            assertThatThrownBy(() -> client.queryAll("SELECT 1"))
                    .rootCause()
                    .isInstanceOf(ServerException.class)
                    .satisfies(e -> assertThat(((ServerException) e).getCode()).isEqualTo(271))
                    .hasMessageContaining("compression method 0x90 is not supported; use LZ4");
        }
    }
}
