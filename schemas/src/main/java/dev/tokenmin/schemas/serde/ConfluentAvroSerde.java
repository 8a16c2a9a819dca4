package dev.tokenmin.schemas.serde;

import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SubjectNameStrategy;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.util.HashMap;
import java.util.Map;

/**
 * A Kafka Streams {@link Serde} for one generated Avro record class in Confluent's wire format.
 *
 * @param <T> the generated record class
 */
public final class ConfluentAvroSerde<T extends SpecificRecord> implements Serde<T> {

    private final Class<T> type;
    private ConfluentAvroSerializer<T> serializer;
    private ConfluentAvroDeserializer<T> deserializer;

    /** A serde for {@code type}; {@link #configure} gives it the registry. */
    public ConfluentAvroSerde(Class<T> type) {
        this.type = type;
    }

    /** A serde on a shared client (which the caller closes), registering schemas under the topic name. */
    public static <T extends SpecificRecord> ConfluentAvroSerde<T> of(Class<T> type, SchemaRegistryClient client,
                                                                      boolean isKey) {
        ConfluentAvroSerde<T> serde = new ConfluentAvroSerde<>(type);
        serde.serializer = new ConfluentAvroSerializer<>(client, true, SubjectNameStrategy.TOPIC_NAME, isKey);
        serde.deserializer = new ConfluentAvroDeserializer<>(client, type);
        return serde;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        Map<String, Object> withType = new HashMap<>(configs);
        withType.put(isKey ? AvroSerdeConfig.KEY_TYPE : AvroSerdeConfig.VALUE_TYPE, type.getName());
        serializer = new ConfluentAvroSerializer<>();
        serializer.configure(withType, isKey);
        deserializer = new ConfluentAvroDeserializer<>();
        deserializer.useType(type);
        deserializer.configure(withType, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        requireConfigured();
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        requireConfigured();
        return deserializer;
    }

    private void requireConfigured() {
        if (serializer == null) {
            throw new IllegalStateException("serde for " + type.getName() + " not configured: call configure(...) "
                    + "with schema.registry.url, or build it with ConfluentAvroSerde.of(...)");
        }
    }

    @Override
    public void close() {
        if (serializer != null) {
            serializer.close();
            deserializer.close();
        }
    }
}
