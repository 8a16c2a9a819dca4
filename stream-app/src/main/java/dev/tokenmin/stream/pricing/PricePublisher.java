package dev.tokenmin.stream.pricing;

import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.schemas.pricing.PriceKeys;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import dev.tokenmin.stream.kafka.TopicAdmin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /**
     * @param kafka Kafka client settings, {@code bootstrap.servers} and security included
     * @throws IllegalStateException when Kafka does not take a record
     */
    public static Summary publish(PriceCatalog catalog, String topic, Map<String, Object> kafka, String registryUrl)
            throws InterruptedException {
        try (SchemaRegistryClient registry = new SchemaRegistryClient(SchemaRegistryConfig.of(registryUrl));
             ConfluentAvroSerde<PriceEntry> serde = ConfluentAvroSerde.of(PriceEntry.class, registry, false)) {
            Map<String, PriceEntry> current = TopicAdmin.readCompacted(topic, kafka, serde.deserializer());
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
}
