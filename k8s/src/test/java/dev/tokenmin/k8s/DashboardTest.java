package dev.tokenmin.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Grafana dashboard: a panel for each figure operators watch, each over the Prometheus series tokenmin's
 * components export (names as scraped from the stream app, the sink and the sidecar; see the README).
 */
class DashboardTest {

    @Test
    void hasAPanelPerFigureOverTheExportedSeries() throws Exception {
        JsonNode dash = new ObjectMapper().readTree(Files.readString(Rendered.k8sDir().resolve(
                "grafana/tokenmin-dashboard.json")));
        Map<String, String> expected = Map.of(
                "Events per second", "tokenmin_events_priced_total",
                "Consumer lag (records)", "kafka_consumer_fetch_manager_records_lag_max",
                "Spend per hour by feature (USD)", "tokenmin_spend_nanos_total",
                "Throttle decisions and alerts", "tokenmin_decisions_total",
                "Dead-lettered records", "tokenmin_dead_lettered_total",
                "ClickHouse sink rows per second", "tokenmin_sink_rows_total");
        List<String> titles = new ArrayList<>();
        for (JsonNode panel : dash.path("panels")) {
            String title = panel.path("title").asText();
            titles.add(title);
            assertThat(panel.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
            StringBuilder exprs = new StringBuilder();
            panel.path("targets").forEach(t -> exprs.append(t.path("expr").asText()).append('\n'));
            if (expected.containsKey(title)) {
                assertThat(exprs.toString()).as(title).contains(expected.get(title));
            }
        }
        assertThat(titles).containsAll(expected.keySet());
        assertThat(dash.path("uid").asText()).isEqualTo("tokenmin-overview");
    }
}
