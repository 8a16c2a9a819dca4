package dev.tokenmin.clickhouse.migration;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StatementsTest {

    private static final String SQL = """
            -- a comment line
            CREATE TABLE t ${ON_CLUSTER} (x UInt8)
            ENGINE = ${REPLICATED}MergeTree ORDER BY x;

            ${CLUSTER_ONLY}CREATE TABLE t_all ${ON_CLUSTER} AS t ENGINE = Distributed(`${CLUSTER}`, db, t, rand());
            """;

    @Test
    void shouldFillPlaceholdersSplitStatementsAndKeepClusterOnlyOnesForClusters() {
        Map<String, String> single = Map.of("ON_CLUSTER", "", "REPLICATED", "", "CLUSTER", "");
        assertThat(Statements.of(SQL, single, false))
                .containsExactly("CREATE TABLE t  (x UInt8)\nENGINE = MergeTree ORDER BY x");

        Map<String, String> cluster = Map.of("ON_CLUSTER", "ON CLUSTER `c`", "REPLICATED", "Replicated",
                "CLUSTER", "c");
        List<String> statements = Statements.of(SQL, cluster, true);
        assertThat(statements).hasSize(2);
        assertThat(statements.get(0)).contains("ON CLUSTER `c`").contains("ReplicatedMergeTree");
        assertThat(statements.get(1)).startsWith("CREATE TABLE t_all ON CLUSTER `c`").contains("Distributed(`c`");
    }

    @Test
    void shouldRenderEveryBundledMigrationForOneNodeAndForACluster() {
        Map<String, String> single = Map.of("ON_CLUSTER", "", "REPLICATED", "", "CLUSTER", "", "ALL", "",
                "TTL_DAYS", "400", "DATABASE", "tokenmin");
        Map<String, String> cluster = Map.of("ON_CLUSTER", "ON CLUSTER `main`", "REPLICATED", "Replicated",
                "CLUSTER", "main", "ALL", "_all", "TTL_DAYS", "400", "DATABASE", "tokenmin");
        int onOneNode = 0;
        int onCluster = 0;
        for (Migration m : Migrations.bundled()) {
            List<String> local = Statements.of(m.sql(), single, false);
            List<String> clustered = Statements.of(m.sql(), cluster, true);
            assertThat(local).noneMatch(s -> s.contains("Distributed") || s.contains("_all"));
            assertThat(clustered).allMatch(s -> !s.startsWith("CREATE") || s.contains("ON CLUSTER `main`"));
            onOneNode += local.size();
            onCluster += clustered.size();
        }
        // A cluster adds six Distributed tables (V004); the views (V005) read them there.
        assertThat(onCluster - onOneNode).isEqualTo(6);
    }

    @Test
    void shouldNameAnUnknownPlaceholder() {
        assertThatThrownBy(() -> Statements.of("SELECT ${NOPE}", Map.of(), false))
                .hasMessageContaining("unknown placeholder ${NOPE}");
    }
}
