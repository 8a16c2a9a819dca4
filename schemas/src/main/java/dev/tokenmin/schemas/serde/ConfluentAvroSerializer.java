package dev.tokenmin.schemas.serde;

import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryException;
import dev.tokenmin.schemas.registry.SubjectNameStrategy;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serializes Avro specific records in Confluent's wire format (see {@link WireFormat}), registering or looking up
 * the record's schema in the registry on first use and caching the id. Null stays null (a tombstone).
 * Thread-safe, as Kafka producers require.
 *
 * @param <T> the generated record class
 */
public final class ConfluentAvroSerializer<T extends SpecificRecord> implements Serializer<T> {

    private SchemaRegistryClient client;
    private boolean ownsClient;
    private boolean autoRegister = true;
    private SubjectNameStrategy subjectStrategy = SubjectNameStrategy.TOPIC_NAME;
    private boolean isKey;
    private final Map<Schema, SpecificDatumWriter<T>> writers = new ConcurrentHashMap<>();
    private final ThreadLocal<Buffers> buffers = ThreadLocal.withInitial(Buffers::new);

    /** Per-thread reusable output buffer and encoder: serializing allocates only the result array. */
    private static final class Buffers {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        BinaryEncoder encoder;
    }

    /** For Kafka, which configures it from the producer's properties. */
    public ConfluentAvroSerializer() {
    }

    /** With a shared client (which the caller closes). */
    public ConfluentAvroSerializer(SchemaRegistryClient client, boolean autoRegister, SubjectNameStrategy strategy,
                                   boolean isKey) {
        this.client = client;
        this.autoRegister = autoRegister;
        this.subjectStrategy = strategy;
        this.isKey = isKey;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        AvroSerdeConfig config = AvroSerdeConfig.from(configs, isKey);
        this.client = new SchemaRegistryClient(config.registry());
        this.ownsClient = true;
        this.autoRegister = config.autoRegister();
        this.subjectStrategy = config.subjectStrategy();
        this.isKey = isKey;
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        if (client == null) {
            throw new IllegalStateException("serializer not configured: set schema.registry.url");
        }
        Schema schema = record.getSchema();
        String subject = subjectStrategy.subject(topic, isKey, schema);
        int id;
        try {
            id = autoRegister ? client.register(subject, schema) : client.lookup(subject, schema).id();
        } catch (SchemaRegistryException e) {
            throw new SerializationException("cannot serialize " + schema.getFullName() + " for topic " + topic
                    + ": " + e.getMessage(), e);
        }
        Buffers b = buffers.get();
        b.out.reset();
        b.out.write(0);
        b.out.write(0);
        b.out.write(0);
        b.out.write(0);
        b.out.write(0);
        try {
            b.encoder = EncoderFactory.get().binaryEncoder(b.out, b.encoder);
            writerFor(schema, record).write(record, b.encoder);
            b.encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot encode " + schema.getFullName() + " for topic " + topic + ": "
                    + e.getMessage(), e);
        }
        byte[] framed = b.out.toByteArray();
        WireFormat.writeHeader(framed, id);
        if (framed.length > 1 << 20) {
            buffers.remove(); // do not keep a huge buffer per thread
        }
        return framed;
    }

    private SpecificDatumWriter<T> writerFor(Schema schema, T record) {
        return writers.computeIfAbsent(schema, s -> new SpecificDatumWriter<>(s, modelOf(record)));
    }

    private static SpecificData modelOf(SpecificRecord record) {
        return SpecificData.getForClass(record.getClass());
    }

    @Override
    public void close() {
        if (ownsClient && client != null) {
            client.close();
        }
    }
}
