package dev.tokenmin.stream.spend;

import dev.tokenmin.avro.CostBreakdown;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.stream.serde.InternalSerdes;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedForward;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The buffer's sums survive a task's restart exactly: a new processor over the store a restore would give (the same
 * store object: what was written is what was committed) forwards what the old one had summed and not forwarded, once.
 */
class SpendDeltaBufferTest {

    private static final Duration FLUSH = Duration.ofMillis(100);
    private static final String STORE = "deltas";

    private KeyValueStore<Bytes, byte[]> store;

    @BeforeEach
    void createStore() {
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(STORE), Serdes.Bytes(), Serdes.ByteArray())
                .withLoggingDisabled().build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
    }

    /** A task (re)started over the store: a new processor, initialized as Kafka Streams does after a restore. */
    private Task start() {
        MockProcessorContext<String, SpendDelta> context = new MockProcessorContext<>();
        context.addStateStore(store);
        SpendDeltaBuffer buffer = new SpendDeltaBuffer(e -> List.of(
                new SpendDeltaBuffer.Target("customer:" + e.getCustomerId(), true),
                new SpendDeltaBuffer.Target("customer:" + e.getCustomerId() + "/user:" + e.getUserId(), false)),
                STORE, false, FLUSH);
        buffer.init(context);
        return new Task(context, buffer);
    }

    private record Task(MockProcessorContext<String, SpendDelta> context, SpendDeltaBuffer buffer) {

        void send(String customer, String user, String at, long cost) {
            UsageEvent e = UsageEvent.newBuilder().setEventId(UUID.randomUUID()).setOccurredAt(Instant.parse(at))
                    .setSource("gw").setCustomerId(customer).setUserId(user).setProvider("openai")
                    .setModel("gpt-4.1").setInputTokens(100).setOutputTokens(10).build();
            PricedUsage p = PricedUsage.newBuilder().setEvent(e).setPricedAt(Instant.parse(at))
                    .setCost(new CostBreakdown(cost, 0L, 0L, 0L, cost)).build();
            buffer.process(new Record<>(e.getEventId().toString(), p, Instant.parse(at).toEpochMilli()));
        }

        /** What the flush forwards: cost and requests per key and minute. */
        Map<String, String> flush() {
            context.resetForwards();
            context.scheduledPunctuators().getFirst().getPunctuator().punctuate(0);
            return sums(context.forwarded());
        }

        Map<String, String> forwardedAtOnce() {
            Map<String, String> sums = sums(context.forwarded());
            context.resetForwards();
            return sums;
        }

        private static Map<String, String> sums(List<CapturedForward<? extends String, ? extends SpendDelta>> all) {
            Map<String, String> sums = new HashMap<>();
            for (CapturedForward<? extends String, ? extends SpendDelta> f : all) {
                SpendDelta d = f.record().value();
                sums.merge(f.record().key() + "@" + Instant.ofEpochMilli(d.minute()),
                        d.costNanos() + "/" + d.requests(), (a, b) -> a + "+" + b);
            }
            return sums;
        }
    }

    @Test
    void shouldForwardOneSumPerKeyAndMinuteAndUnsummedKeysAtOnce() {
        Task task = start();
        task.send("acme", "u1", "2026-11-22T10:15:01Z", 5);
        task.send("acme", "u2", "2026-11-22T10:15:30Z", 7);
        task.send("acme", "u1", "2026-11-22T10:16:00Z", 11);
        assertThat(task.forwardedAtOnce()).containsOnly(
                Map.entry("customer:acme/user:u1@2026-11-22T10:15:00Z", "5/1"),
                Map.entry("customer:acme/user:u2@2026-11-22T10:15:00Z", "7/1"),
                Map.entry("customer:acme/user:u1@2026-11-22T10:16:00Z", "11/1"));
        assertThat(task.flush()).containsOnly(
                Map.entry("customer:acme@2026-11-22T10:15:00Z", "12/2"),
                Map.entry("customer:acme@2026-11-22T10:16:00Z", "11/1"));
        assertThat(task.flush()).as("nothing twice").isEmpty();
    }

    @Test
    void shouldForwardWhatWasSummedBeforeARestartOnceAndOnlyTheCurrentGeneration() {
        Task first = start();
        for (int i = 0; i < 5; i++) {
            first.send("acme", "u" + i, "2026-11-22T10:15:0" + i + "Z", 100 + i);
        }
        assertThat(first.flush()).containsOnly(Map.entry("customer:acme@2026-11-22T10:15:00Z", "510/5"));
        first.send("acme", "u1", "2026-11-22T10:15:10Z", 1_000); // slot 0 of the next generation; slots 1-4 are old
        first.send("beta", "u1", "2026-11-22T10:15:11Z", 2_000);

        Task restarted = start(); // the first task's process died here: what it summed is in its journal only
        assertThat(restarted.flush()).containsOnly(
                Map.entry("customer:acme@2026-11-22T10:15:00Z", "1000/1"),
                Map.entry("customer:beta@2026-11-22T10:15:00Z", "2000/1"));
        restarted.send("acme", "u2", "2026-11-22T10:15:12Z", 3);

        Task again = start();
        assertThat(again.flush()).as("only what came after the last flush").containsOnly(
                Map.entry("customer:acme@2026-11-22T10:15:00Z", "3/1"));
        assertThat(start().flush()).isEmpty();
    }

    @Test
    void shouldCountAndThenDeleteSumsAnEarlierVersionStored() {
        SpendDeltaBuffer.Key key = new SpendDeltaBuffer.Key(Instant.parse("2026-11-22T10:15:00Z").toEpochMilli(),
                "customer:acme");
        long t = key.minute() + 1_000;
        SpendDelta old = new SpendDelta(t, t, 2, 0, 40, 200, 0, 0, 20, 0,
                List.of(new SpendDelta.ModelDelta("openai", "gpt-4.1", 2, 40, 200, 20)), Map.of());
        store.put(Bytes.wrap(InternalSerdes.deltaKey().serializer().serialize(null, key)),
                InternalSerdes.spendDelta().serializer().serialize(null, old));

        Task task = start();
        task.send("acme", "u1", "2026-11-22T10:15:30Z", 2);
        assertThat(task.flush()).containsOnly(Map.entry("customer:acme@2026-11-22T10:15:00Z", "42/3"));
        assertThat(start().flush()).as("the old sum was deleted with the flush").isEmpty();
    }
}
