package dev.tokenmin.stream.pricing;

import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Publishes a price catalog to the prices topic idempotently: it reads what the compacted topic holds, then writes
 * only entries that are new or changed, and a tombstone for each entry the catalog no longer has (the catalog is
 * the source of truth). Publishing the same catalog twice writes nothing the second time.
 */
public final class PricePublisher {

    /** What a publication did. */
    public record Summary(int added, int changed, int removed, int unchanged) {

        @Override
        public String toString() {
            return added + " new, " + changed + " changed, " + removed + " removed, " + unchanged + " unchanged";
        }
    }

    private PricePublisher() {
    }

    /** Creates {@code topic} compacted with one partition (prices are few) unless it exists. */
    public static void createTopicIfMissing(String topic, Map<String, Object> kafka) throws InterruptedException {
        try (Admin admin = Admin.create(kafka)) {
            if (!admin.listTopics().names().get().contains(topic)) {
                admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())
                        .configs(Map.of("cleanup.policy", "compact")))).all().get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create topic " + topic + ": " + e.getCause().getMessage(), e);
        }
    }

    /**
     * @param kafka Kafka client settings, {@code bootstrap.servers} and security included
     * @throws IllegalStateException when Kafka does not take a record
     */
    public static Summary publish(PriceCatalog catalog, String topic, Map<String, Object> kafka, String registryUrl)
            throws InterruptedException {
        try (SchemaRegistryClient registry = new SchemaRegistryClient(SchemaRegistryConfig.of(registryUrl));
             ConfluentAvroSerde<PriceEntry> serde = ConfluentAvroSerde.of(PriceEntry.class, registry, false)) {
            Map<String, PriceEntry> current = readAll(topic, kafka, serde);
            Map<String, PriceEntry> wanted = new HashMap<>();
            catalog.entries().forEach(e -> wanted.put(PriceKeys.key(e), e));
            Map<String, Object> producerProps = new HashMap<>(kafka);
            producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
            int added = 0;
            int changed = 0;
            int removed = 0;
            int unchanged = 0;
            try (KafkaProducer<String, PriceEntry> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                    serde.serializer())) {
                List<Future<?>> sends = new ArrayList<>();
                for (Map.Entry<String, PriceEntry> e : wanted.entrySet()) {
                    PriceEntry was = current.get(e.getKey());
                    if (e.getValue().equals(was)) {
                        unchanged++;
                        continue;
                    }
                    if (was == null) {
                        added++;
                    } else {
                        changed++;
                    }
                    sends.add(producer.send(new ProducerRecord<>(topic, e.getKey(), e.getValue())));
                }
                for (String key : current.keySet()) {
                    if (!wanted.containsKey(key)) {
                        removed++;
                        sends.add(producer.send(new ProducerRecord<>(topic, key, null)));
                    }
                }
                for (Future<?> f : sends) {
                    f.get();
                }
            } catch (ExecutionException e) {
                throw new IllegalStateException("Kafka did not take a price entry: " + e.getCause().getMessage(), e);
            }
            return new Summary(added, changed, removed, unchanged);
        }
    }

    /** The topic's current content by key (latest value wins; tombstones remove). */
    static Map<String, PriceEntry> readAll(String topic, Map<String, Object> kafka,
                                           ConfluentAvroSerde<PriceEntry> serde) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        Map<String, PriceEntry> current = new HashMap<>();
        try (KafkaConsumer<String, PriceEntry> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                serde.deserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist; create it compacted "
                        + "(cleanup.policy=compact), or run with --create-topic");
            }
            List<TopicPartition> partitions = infos.stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end within 2 minutes");
                }
                for (ConsumerRecord<String, PriceEntry> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        current.remove(r.key());
                    } else {
                        current.put(r.key(), r.value());
                    }
                }
            }
        }
        return current;
    }
}
