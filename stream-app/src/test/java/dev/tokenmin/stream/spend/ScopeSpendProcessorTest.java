package dev.tokenmin.stream.spend;

import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.WindowKind;
import dev.tokenmin.stream.serde.InternalSerdes;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Publication of changed scopes across a task's restart: a scope changed and not yet published when the task stopped
 * is published by the task that starts over the same stores (what a restore gives), once.
 */
class ScopeSpendProcessorTest {

    private static final Duration PUBLISH = Duration.ofSeconds(1);
    private final List<StateStore> stores = new ArrayList<>();
    private ScopeSpendProcessor.StoreNames names;

    @BeforeEach
    void createStores() {
        Map<WindowKind, String> closed = new EnumMap<>(WindowKind.class);
        LatestWindows.KINDS.forEach(kind -> closed.put(kind, "closed-" + kind));
        names = new ScopeSpendProcessor.StoreNames("latest", "unpublished", "sessions", closed);
        stores.add(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(names.latest()), Serdes.String(),
                InternalSerdes.latestWindows()).withLoggingDisabled().build());
        stores.add(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(names.unpublished()), Serdes.String(),
                Serdes.Long()).withLoggingDisabled().build());
        stores.add(Stores.timestampedKeyValueStoreBuilder(Stores.inMemoryKeyValueStore(names.sessions()),
                Serdes.String(), InternalSerdes.spendAggregate()).withLoggingDisabled().build());
        for (WindowKind kind : LatestWindows.KINDS) {
            stores.add(Stores.timestampedWindowStoreBuilder(Stores.inMemoryWindowStore(closed.get(kind),
                            ScopeSpendProcessor.retention(kind), Duration.ofDays(kind == WindowKind.MONTH ? 31 : 1),
                            false), Serdes.String(), InternalSerdes.spendAggregate()).withLoggingDisabled().build());
        }
        MockProcessorContext<String, SpendAggregate> init = new MockProcessorContext<>();
        stores.forEach(store -> store.init(init.getStateStoreContext(), store));
    }

    private record Task(MockProcessorContext<String, SpendAggregate> context, ScopeSpendProcessor processor) {

        void add(String scope, String at, long cost) {
            long t = Instant.parse(at).toEpochMilli();
            SpendDelta d = new SpendDelta(t, t, 1, 0, cost, 10, 0, 0, 5, 0,
                    List.of(new SpendDelta.ModelDelta("openai", "gpt-4.1", 1, cost, 10, 5)), Map.of());
            context.setCurrentStreamTimeMs(t);
            processor.process(new Record<>(scope, d, t));
        }

        /** The spend records one publication sends: cost per key. */
        Map<String, Long> publish() {
            context.resetForwards();
            context.scheduledPunctuators().getFirst().getPunctuator().punctuate(0);
            Map<String, Long> published = new TreeMap<>();
            context.forwarded().forEach(f -> published.put(f.record().key(), f.record().value().getCostNanos()));
            return published;
        }
    }

    private Task start() {
        MockProcessorContext<String, SpendAggregate> context = new MockProcessorContext<>();
        stores.forEach(context::addStateStore);
        ScopeSpendProcessor processor = new ScopeSpendProcessor(names, Duration.ofHours(1), PUBLISH);
        processor.init(context);
        return new Task(context, processor);
    }

    @Test
    void shouldPublishEachChangedScopeOncePerIntervalWithItsLatestFiguresAcrossARestart() {
        Task first = start();
        first.add("customer:acme", "2026-11-22T10:15:01Z", 5);
        first.add("customer:acme", "2026-11-22T10:15:02Z", 7);
        first.add("session:s-1", "2026-11-22T10:15:03Z", 11);
        assertThat(first.publish()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "customer:acme|MINUTE|2026-11-22T10:15:00Z", 12L, "customer:acme|HOUR|2026-11-22T10:00:00Z", 12L,
                "customer:acme|DAY|2026-11-22T00:00:00Z", 12L, "customer:acme|MONTH|2026-11-01T00:00:00Z", 12L,
                SpendAggregates.sessionKey("session:s-1"), 11L));
        assertThat(first.publish()).as("nothing changed since").isEmpty();

        first.add("customer:acme", "2026-11-22T10:15:04Z", 100);
        first.add("session:s-1", "2026-11-22T10:15:05Z", 1_000);
        Task restarted = start(); // the first task stopped before publishing those two changes
        assertThat(restarted.publish()).containsEntry("customer:acme|MINUTE|2026-11-22T10:15:00Z", 112L)
                .containsEntry(SpendAggregates.sessionKey("session:s-1"), 1_011L).hasSize(5);
        assertThat(restarted.publish()).isEmpty();
        assertThat(start().publish()).as("published before this start: not again").isEmpty();
        assertThat(marked()).as("one mark per scope, overwritten, and the marker").containsOnlyKeys(
                "customer:acme", "session:s-1", ScopeSpendProcessor.PUBLISHED_MARKER);
    }

    @Test
    void shouldPublishMarksWrittenBeforeGenerationsOnceThenDeleteThem() {
        Task first = start();
        first.add("customer:acme", "2026-11-22T10:15:01Z", 5);
        first.add("session:s-1", "2026-11-22T10:15:03Z", 11);
        first.publish();
        // What the version before generations left: no marker, each unpublished scope marked with its event time.
        marks().delete(ScopeSpendProcessor.PUBLISHED_MARKER);
        marks().put("customer:acme", Instant.parse("2026-11-22T10:15:01Z").toEpochMilli());
        marks().put("session:s-1", Instant.parse("2026-11-22T10:15:03Z").toEpochMilli());

        Task upgraded = start();
        assertThat(upgraded.publish()).containsEntry("customer:acme|MINUTE|2026-11-22T10:15:00Z", 5L)
                .containsEntry(SpendAggregates.sessionKey("session:s-1"), 11L).hasSize(5);
        assertThat(marked()).as("old marks deleted with the first publication").containsOnlyKeys(
                ScopeSpendProcessor.PUBLISHED_MARKER);
        assertThat(start().publish()).isEmpty();
    }

    /** The marks store's contents. */
    private Map<String, Long> marked() {
        Map<String, Long> all = new TreeMap<>();
        try (var it = marks().all()) {
            it.forEachRemaining(kv -> all.put(kv.key, kv.value));
        }
        return all;
    }

    @SuppressWarnings("unchecked")
    private KeyValueStore<String, Long> marks() {
        return (KeyValueStore<String, Long>) stores.stream().filter(s -> s.name().equals(names.unpublished()))
                .findFirst().orElseThrow();
    }
}
