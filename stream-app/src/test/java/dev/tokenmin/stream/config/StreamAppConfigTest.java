package dev.tokenmin.stream.config;

import dev.tokenmin.stream.state.BoundedRocksDbMemory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StreamAppConfigTest {

    private static Map<String, String> required() {
        Map<String, String> p = new HashMap<>();
        p.put(StreamAppConfig.BOOTSTRAP_SERVERS, "127.0.0.1:9092");
        p.put(StreamAppConfig.SCHEMA_REGISTRY_URL, "http://127.0.0.1:8081");
        p.put(StreamAppConfig.STATE_DIR, "/var/lib/tokenmin");
        return p;
    }

    @Test
    void spendPublicationIntervalDefaultsToASecondAndIsSettable() {
        assertThat(StreamAppConfig.fromProperties(required()).spendPublish()).isEqualTo(Duration.ofSeconds(1));
        Map<String, String> p = required();
        p.put(StreamAppConfig.SPEND_PUBLISH_MS, "5000");
        assertThat(StreamAppConfig.fromProperties(p).spendPublish()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void aPublicationIntervalOfZeroIsRejectedNamingTheKey() {
        Map<String, String> p = required();
        p.put(StreamAppConfig.SPEND_PUBLISH_MS, "0");
        assertThatThrownBy(() -> StreamAppConfig.fromProperties(p))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("spend.publish.ms: must be between 1 and 3600000, was 0");
    }

    @Test
    void tasksDoNotIdleOnTheEmptyBudgetsPartitionUnlessConfiguredTo() {
        assertThat(StreamAppConfig.fromProperties(required()).streamsProperties())
                .containsEntry(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
        Map<String, String> p = required();
        p.put("kafka." + StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, "0");
        assertThat(StreamAppConfig.fromProperties(p).streamsProperties())
                .containsEntry(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, "0");
    }

    /**
     * The partition assignor reads its settings from the main consumer's; without the setting there, Kafka Streams
     * warns at every start that the global thread's processing handler is off, though it is on.
     */
    @Test
    void theGlobalProcessingHandlerSettingReachesTheMainConsumer() {
        StreamsConfig streams = new StreamsConfig(StreamAppConfig.fromProperties(required()).streamsProperties());
        assertThat(streams.getBoolean(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG)).isTrue();
        Map<String, Object> consumer = streams.getMainConsumerConfigs("tokenmin-stream", "client", 1);
        assertThat(consumer).containsEntry(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    }

    /**
     * A commit that times out on the client is the one path on which the broker-kill fault scenario lost spend; the
     * stream threads' producer waits four minutes instead of one, below the consumer's poll interval.
     */
    @Test
    void theStreamThreadsProducerWaitsOutABrokerOutageUnlessConfiguredOtherwise() {
        StreamsConfig streams = new StreamsConfig(StreamAppConfig.fromProperties(required()).streamsProperties());
        Map<String, Object> producer = streams.getProducerConfigs("client");
        Map<String, Object> consumer = streams.getMainConsumerConfigs("tokenmin-stream", "client", 1);
        assertThat(producer).containsEntry(ProducerConfig.MAX_BLOCK_MS_CONFIG, 240_000);
        assertThat(((Number) consumer.getOrDefault(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 300_000)).longValue())
                .isGreaterThan(240_000);

        for (String key : new String[] {"kafka.max.block.ms", "kafka.producer.max.block.ms"}) {
            Map<String, String> p = required();
            p.put(key, "60000");
            Map<String, Object> own = new StreamsConfig(StreamAppConfig.fromProperties(p).streamsProperties())
                    .getProducerConfigs("client");
            assertThat(own).as(key).containsEntry(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000");
        }
    }

    @Test
    void rocksDbSharesOneMemoryBudgetOf256MibUnlessSetOtherwise() {
        assertThat(StreamAppConfig.fromProperties(required()).streamsProperties())
                .containsEntry(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class.getName())
                .containsEntry(BoundedRocksDbMemory.BUDGET_BYTES, 256L << 20);
        Map<String, String> p = required();
        p.put(StreamAppConfig.STATE_MEMORY_MB, "64");
        assertThat(StreamAppConfig.fromProperties(p).streamsProperties())
                .containsEntry(BoundedRocksDbMemory.BUDGET_BYTES, 64L << 20);
    }

    @Test
    void aBudgetOfZeroOrTheDeploymentsOwnConfigSetterLeavesRocksDbAsKafkaStreamsConfiguresIt() {
        Map<String, String> off = required();
        off.put(StreamAppConfig.STATE_MEMORY_MB, "0");
        assertThat(StreamAppConfig.fromProperties(off).streamsProperties())
                .doesNotContainKeys(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG,
                        BoundedRocksDbMemory.BUDGET_BYTES);
        Map<String, String> own = required();
        own.put("kafka." + StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, "com.example.OwnSetter");
        assertThat(StreamAppConfig.fromProperties(own).streamsProperties())
                .containsEntry(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, "com.example.OwnSetter")
                .doesNotContainKey(BoundedRocksDbMemory.BUDGET_BYTES);
    }

    @Test
    void aNegativeMemoryBudgetIsRejectedNamingTheKey() {
        Map<String, String> p = required();
        p.put(StreamAppConfig.STATE_MEMORY_MB, "-1");
        assertThatThrownBy(() -> StreamAppConfig.fromProperties(p))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("state.memory.mb: must be between 0 and 1048576, was -1");
    }
}
