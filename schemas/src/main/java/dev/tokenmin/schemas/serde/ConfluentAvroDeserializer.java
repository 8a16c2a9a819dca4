package dev.tokenmin.schemas.serde;

import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryException;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

import java.io.EOFException;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads Confluent-framed Avro (see {@link WireFormat}) into a generated record class: the writer's schema comes
 * from the registry by the id in the frame (cached), and Avro's schema resolution maps it onto the class's schema,
 * so records written with older or newer compatible schemas read fine. Each kind of bad input raises a
 * {@link SerializationException} that says which: a truncated payload, a wrong magic byte, an unknown schema id, an
 * Avro body that does not match its schema. Thread-safe.
 *
 * @param <T> the generated record class
 */
public final class ConfluentAvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    private SchemaRegistryClient client;
    private boolean ownsClient;
    private Class<T> type;
    private Schema readerSchema;
    private SpecificData model;
    private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();
    private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

    /** For Kafka, which configures it; the class comes from {@code specific.avro.value.type} (or key). */
    public ConfluentAvroDeserializer() {
    }

    /** With a shared client (which the caller closes), reading into {@code type}. */
    public ConfluentAvroDeserializer(SchemaRegistryClient client, Class<T> type) {
        this.client = client;
        useType(type);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        AvroSerdeConfig config = AvroSerdeConfig.from(configs, isKey);
        this.client = new SchemaRegistryClient(config.registry());
        this.ownsClient = true;
        if (type == null) {
            if (config.specificType() == null) {
                throw new IllegalArgumentException((isKey ? AvroSerdeConfig.KEY_TYPE : AvroSerdeConfig.VALUE_TYPE)
                        + ": missing; name the generated Avro class to read into");
            }
            useType(loadType(config.specificType(), isKey));
        }
    }

    /** Sets the class before {@link #configure} when Kafka is not the one to construct the deserializer. */
    void useType(Class<T> recordType) {
        this.type = recordType;
        this.model = SpecificData.getForClass(recordType);
        this.readerSchema = model.getSchema(recordType);
    }

    @SuppressWarnings("unchecked")
    private static <T> Class<T> loadType(String name, boolean isKey) {
        try {
            Class<?> c = Class.forName(name, true, Thread.currentThread().getContextClassLoader());
            if (!SpecificRecord.class.isAssignableFrom(c)) {
                throw new IllegalArgumentException((isKey ? AvroSerdeConfig.KEY_TYPE : AvroSerdeConfig.VALUE_TYPE)
                        + ": " + name + " is not a generated Avro record class");
            }
            return (Class<T>) c;
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException((isKey ? AvroSerdeConfig.KEY_TYPE : AvroSerdeConfig.VALUE_TYPE)
                    + ": class " + name + " not found", e);
        }
    }

    @Override
    public T deserialize(String topic, byte[] payload) {
        if (payload == null) {
            return null;
        }
        if (client == null || type == null) {
            throw new IllegalStateException("deserializer not configured: set schema.registry.url and "
                    + AvroSerdeConfig.VALUE_TYPE);
        }
        int id = WireFormat.schemaId(topic, payload);
        SpecificDatumReader<T> reader = readers.get(id);
        if (reader == null) {
            reader = readerFor(topic, id);
        }
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(payload, WireFormat.HEADER_BYTES,
                payload.length - WireFormat.HEADER_BYTES, decoders.get());
        decoders.set(decoder);
        T record;
        try {
            record = reader.read(null, decoder);
        } catch (EOFException e) {
            throw new SerializationException("truncated payload on topic " + topic + ": the Avro body of "
                    + (payload.length - WireFormat.HEADER_BYTES) + " byte(s) ends before the record of schema id "
                    + id + " does", e);
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new SerializationException("cannot decode the Avro body on topic " + topic + " with schema id "
                    + id + " (" + reader.getSchema().getFullName() + "): " + e, e);
        }
        try {
            if (!decoder.isEnd()) {
                throw new SerializationException("payload on topic " + topic + " has bytes left after the record "
                        + "of schema id " + id + ": it was not written with that schema");
            }
        } catch (IOException e) {
            throw new SerializationException("cannot read the payload on topic " + topic, e);
        }
        return record;
    }

    private SpecificDatumReader<T> readerFor(String topic, int id) {
        Schema writerSchema;
        try {
            writerSchema = client.getById(id);
        } catch (SchemaRegistryException e) {
            String reason = e.isNotFound() ? "unknown schema id " + id : "cannot fetch schema id " + id;
            throw new SerializationException(reason + " on topic " + topic + " (registry error " + e.errorCode()
                    + "): " + e.getMessage(), e);
        }
        if (writerSchema.getType() != Schema.Type.RECORD
                || !writerSchema.getName().equals(readerSchema.getName())) {
            // Avro would resolve a different record by field names alone; a different record is a different thing.
            throw new SerializationException("schema id " + id + " on topic " + topic + " is "
                    + writerSchema.getFullName() + ", not " + readerSchema.getFullName());
        }
        SpecificDatumReader<T> reader = new SpecificDatumReader<>(writerSchema, readerSchema, model);
        readers.put(id, reader);
        return reader;
    }

    @Override
    public void close() {
        if (ownsClient && client != null) {
            client.close();
        }
    }
}
