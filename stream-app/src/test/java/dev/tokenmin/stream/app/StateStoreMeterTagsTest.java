package dev.tokenmin.stream.app;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StateStoreMeterTagsTest {

    private static final String NAME = "kafka.stream.state.flush.latency.max";

    /** Registers one store metric for stores of four types, as Kafka Streams' binder does, and scrapes. */
    private static String scrape(PrometheusMeterRegistry meters) {
        Tags common = Tags.of("kafka.version", "4.3.1", "task.id", "0_1", "thread.id", "app-StreamThread-1");
        Gauge.builder(NAME, () -> 1).tags(common.and("in.memory.state.id", "scope-deltas-store")).register(meters);
        Gauge.builder(NAME, () -> 2).tags(common.and("rocksdb.window.state.id", "dedup-store")).register(meters);
        Gauge.builder(NAME, () -> 3).tags(common.and("rocksdb.state.id", "spend-latest-store")).register(meters);
        Gauge.builder(NAME, () -> 4).tags(common.and("rocksdb.session.state.id", "sessions-store")).register(meters);
        return meters.scrape();
    }

    @Test
    void everyStoreTypeKeepsItsMeterUnderOneSetOfTagKeys() {
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        meters.config().meterFilter(new StateStoreMeterTags());

        String scraped = scrape(meters);

        assertThat(scraped).contains(
                "state_id=\"scope-deltas-store\",store_type=\"in-memory\"",
                "state_id=\"dedup-store\",store_type=\"rocksdb-window\"",
                "state_id=\"spend-latest-store\",store_type=\"rocksdb\"",
                "state_id=\"sessions-store\",store_type=\"rocksdb-session\"");
        assertThat(scraped).doesNotContain("rocksdb_window_state_id", "in_memory_state_id");
    }

    @Test
    void withoutItPrometheusKeepsOnlyTheFirstStoreType() {
        // Why the filter exists: the registry refuses a meter whose tag keys differ from its name's first meter.
        String scraped = scrape(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));

        assertThat(scraped).contains("in_memory_state_id=\"scope-deltas-store\"")
                .doesNotContain("dedup-store", "spend-latest-store", "sessions-store");
    }

    @Test
    void leavesOtherMetersAlone() {
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        meters.config().meterFilter(new StateStoreMeterTags());
        Gauge.builder("kafka.stream.record.cache.hit.ratio.avg", () -> 1).tags("record.cache.id", "c-1")
                .register(meters);

        assertThat(meters.scrape()).contains("kafka_stream_record_cache_hit_ratio_avg{record_cache_id=\"c-1\"}");
    }
}
