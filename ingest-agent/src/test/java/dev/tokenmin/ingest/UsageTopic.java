package dev.tokenmin.ingest;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.schemas.serde.ConfluentAvroDeserializer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/** Test helpers for a usage topic on the real broker: create it, read it back through the registry. */
public final class UsageTopic {

    private UsageTopic() {
    }

    public static void create(Stack stack, String topic, int partitions, Map<String, String> configs) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs))).all().get();
        }
    }

    public static void create(Stack stack, String topic) throws Exception {
        create(stack, topic, 3, Map.of());
    }

    /** Reads from the start until {@code expected} distinct event ids arrived or the deadline passed. */
    public static List<ConsumerRecord<String, UsageEvent>> readUntil(Stack stack, String topic, int expected,
                                                                     Duration within) {
        return read(stack, topic, ids -> ids.size() >= expected, within);
    }

    /** Reads from the start until every id in {@code wanted} arrived or the deadline passed. */
    public static List<ConsumerRecord<String, UsageEvent>> readUntilAll(Stack stack, String topic,
                                                                        Collection<String> wanted, Duration within) {
        Set<String> want = Set.copyOf(wanted);
        return read(stack, topic, ids -> ids.containsAll(want), within);
    }

    private static List<ConsumerRecord<String, UsageEvent>> read(Stack stack, String topic,
                                                                 Predicate<Set<String>> done,
                                                                 Duration within) {
        List<ConsumerRecord<String, UsageEvent>> records = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        try (KafkaConsumer<String, UsageEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ConfluentAvroDeserializer.class,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                "schema.registry.url", stack.schemaRegistryUrl(),
                "specific.avro.value.type", UsageEvent.class.getName()))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + within.toNanos();
            while (!done.test(ids) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, UsageEvent> r : consumer.poll(Duration.ofMillis(200))) {
                    records.add(r);
                    ids.add(r.key());
                }
            }
        }
        return records;
    }
}
