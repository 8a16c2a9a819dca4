package dev.tokenmin.stream.state;

import dev.tokenmin.stream.config.StreamAppConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The memory bound, applied to real RocksDB stores through the app's own Kafka Streams settings. */
class BoundedRocksDbMemoryTest {

    @TempDir
    Path stateDir;

    /** Two stores written once per record, without Kafka Streams' record cache, so every put reaches RocksDB. */
    private static TopologyTestDriver driver(StreamAppConfig config) {
        StreamsBuilder builder = new StreamsBuilder();
        for (String store : new String[] {"first-store", "second-store"}) {
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store),
                    Serdes.String(), Serdes.String()).withCachingDisabled().withLoggingDisabled());
        }
        builder.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
                .process(() -> new Processor<String, String, Void, Void>() {
                    private KeyValueStore<String, String> first;
                    private KeyValueStore<String, String> second;

                    @Override
                    public void init(ProcessorContext<Void, Void> context) {
                        first = context.getStateStore("first-store");
                        second = context.getStateStore("second-store");
                    }

                    @Override
                    public void process(Record<String, String> record) {
                        first.put(record.key(), record.value());
                        second.put(record.key(), record.value());
                    }
                }, "first-store", "second-store");
        return new TopologyTestDriver(builder.build(), config.streamsProperties());
    }

    private StreamAppConfig config(int memoryMb) {
        return StreamAppConfig.fromProperties(Map.of(StreamAppConfig.BOOTSTRAP_SERVERS, "unused:9092",
                StreamAppConfig.SCHEMA_REGISTRY_URL, "http://unused", StreamAppConfig.STATE_DIR, stateDir.toString(),
                StreamAppConfig.STATE_MEMORY_MB, String.valueOf(memoryMb)));
    }

    @Test
    void everyStoresMemtablesAreChargedToTheOneSharedBudget() {
        int memoryMb = 13; // a budget no other test uses: its cache is this test's alone
        long budget = (long) memoryMb << 20;
        assertThat(BoundedRocksDbMemory.usageBytes(budget)).as("before any store opened").isEqualTo(-1);
        try (TopologyTestDriver driver = driver(config(memoryMb))) {
            TestInputTopic<String, String> in = driver.createInputTopic("in", new StringSerializer(),
                    new StringSerializer());
            String value = "x".repeat(200);
            for (int i = 0; i < 20_000; i++) {
                in.pipeInput("key-" + i, value);
            }
            // About 8 MB went into the two stores' memtables; the write buffer manager reserves it in the cache.
            long used = BoundedRocksDbMemory.usageBytes(budget);
            assertThat(used).isGreaterThan(1L << 20).isLessThanOrEqualTo(budget + (1L << 20));
        }
    }

    @Test
    void storesOfTheSameBudgetShareOneCacheAndDifferentBudgetsDoNot() {
        BoundedRocksDbMemory.Shared a = BoundedRocksDbMemory.shared(17L << 20);
        assertThat(BoundedRocksDbMemory.shared(17L << 20)).isSameAs(a);
        assertThat(BoundedRocksDbMemory.shared(19L << 20).cache()).isNotSameAs(a.cache());
    }

    @Test
    void aMissingOrNonPositiveBudgetIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> BoundedRocksDbMemory.budget(Map.of()))
                .hasMessageContaining(BoundedRocksDbMemory.BUDGET_BYTES + " is not set");
        assertThatThrownBy(() -> BoundedRocksDbMemory.budget(Map.of(BoundedRocksDbMemory.BUDGET_BYTES, 0L)))
                .hasMessageContaining(BoundedRocksDbMemory.BUDGET_BYTES + " must be positive, was 0");
        assertThat(BoundedRocksDbMemory.budget(Map.of(BoundedRocksDbMemory.BUDGET_BYTES, "1048576")))
                .isEqualTo(1L << 20);
    }
}
