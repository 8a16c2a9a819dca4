package dev.tokenmin.schemas.serde;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import dev.tokenmin.schemas.SampleRecords;
import dev.tokenmin.schemas.Topics;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The serdes against the real registry, checked the way a Python or Go consumer or producer would see them. */
@ExtendWith(LocalStackExtension.class)
class ConfluentAvroSerdeIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    /** What a non-JVM consumer does: GET /schemas/ids/{id} and parse the schema text, with no tokenmin code. */
    private Schema fetchSchemaByHand(Stack stack, int id) throws IOException, InterruptedException {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(
                URI.create(stack.schemaRegistryUrl() + "/schemas/ids/" + id)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(200);
        return new Schema.Parser().parse(JSON.readTree(answer.body()).path("schema").asText());
    }

    private static byte[] encodeGeneric(Schema schema, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void shouldRoundTripEveryRecordAndDecodeWithPlainAvroFromTheWireFormat(Stack stack, TestNames names)
            throws Exception {
        try (SchemaRegistryClient client = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()))) {
            for (SpecificRecord record : SampleRecords.all()) {
                String topic = names.topic(record.getSchema().getName());
                ConfluentAvroSerde serde = ConfluentAvroSerde.of(record.getClass(), client, false);

                byte[] bytes = serde.serializer().serialize(topic, record);
                Object back = serde.deserializer().deserialize(topic, bytes);
                assertThat(back).as(record.getSchema().getName()).isEqualTo(record);

                // A consumer in another language: magic byte, big-endian id, Avro body, schema from the registry.
                assertThat(bytes[0]).isZero();
                int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
                Schema writer = fetchSchemaByHand(stack, id);
                byte[] body = Arrays.copyOfRange(bytes, 5, bytes.length);
                GenericRecord generic = new GenericDatumReader<GenericRecord>(writer).read(null,
                        DecoderFactory.get().binaryDecoder(body, null));
                assertThat(generic.getSchema().getFullName()).isEqualTo(record.getSchema().getFullName());
                assertThat(encodeGeneric(writer, generic)).as("plain Avro re-encodes the same bytes").isEqualTo(body);
            }
        }
    }

    @Test
    void shouldExposeUsageEventFieldsInPlainAvroTypes(Stack stack, TestNames names) throws Exception {
        try (SchemaRegistryClient client = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()));
             ConfluentAvroSerde<UsageEvent> serde = ConfluentAvroSerde.of(UsageEvent.class, client, false)) {
            UsageEvent event = SampleRecords.usageEvent();
            byte[] bytes = serde.serializer().serialize(names.topic("usage"), event);

            Schema writer = fetchSchemaByHand(stack, ByteBuffer.wrap(bytes, 1, 4).getInt());
            GenericRecord generic = new GenericDatumReader<GenericRecord>(writer).read(null,
                    DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null));

            assertThat(generic.get("event_id")).hasToString(event.getEventId().toString());
            assertThat(generic.get("occurred_at")).isEqualTo(event.getOccurredAt().toEpochMilli());
            assertThat(generic.get("customer_id")).hasToString("acme");
            assertThat(generic.get("cached_input_tokens")).isEqualTo(6_200L);
            assertThat(generic.get("status")).hasToString("OK");
            assertThat(((Map<?, ?>) generic.get("labels"))).hasSize(2);
        }
    }

    @Test
    void shouldReadWhatAProducerInAnotherLanguageFramedByHand(Stack stack, TestNames names) throws Exception {
        // given: the producer registers the schema text over HTTP and frames Avro bytes itself
        String topic = names.topic("usage");
        Schema schema = new Schema.Parser().parse(UsageEvent.getClassSchema().toString());
        String body = JSON.createObjectNode().put("schema", schema.toString()).toString();
        HttpResponse<String> registered = http.send(HttpRequest.newBuilder(
                        URI.create(stack.schemaRegistryUrl() + "/subjects/" + topic + "-value/versions"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        int id = JSON.readTree(registered.body()).path("id").asInt();
        String eventId = UUID.randomUUID().toString();
        GenericRecord record = new GenericRecordBuilder(schema)
                .set("event_id", eventId).set("occurred_at", 1_795_000_000_123L).set("source", "py-gateway")
                .set("customer_id", "globex").set("provider", "anthropic").set("model", "claude-sonnet-4-5")
                .set("input_tokens", 900L).set("output_tokens", 120L)
                .set("status", new GenericData.EnumSymbol(schema.getField("status").schema(), "THROTTLED"))
                .build();
        byte[] avro = encodeGeneric(schema, record);
        byte[] framed = ByteBuffer.allocate(5 + avro.length).put((byte) 0).putInt(id).put(avro).array();

        // when
        try (SchemaRegistryClient client = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()))) {
            UsageEvent event = new ConfluentAvroDeserializer<>(client, UsageEvent.class).deserialize(topic, framed);

            // then: required values as sent, optional ones at their defaults
            assertThat(event.getEventId()).hasToString(eventId);
            assertThat(event.getOccurredAt().toEpochMilli()).isEqualTo(1_795_000_000_123L);
            assertThat(event.getCustomerId()).isEqualTo("globex");
            assertThat(event.getInputTokens()).isEqualTo(900);
            assertThat(event.getCachedInputTokens()).isZero();
            assertThat(event.getUserId()).isNull();
            assertThat(event.getLabels()).isEmpty();
            assertThat(event.getStatus()).hasToString("THROTTLED");
        }
    }

    @Test
    void shouldSayWhatIsWrongWithABadPayload(Stack stack, TestNames names) {
        String topic = names.topic("usage");
        try (SchemaRegistryClient client = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()));
             ConfluentAvroSerde<UsageEvent> serde = ConfluentAvroSerde.of(UsageEvent.class, client, false)) {
            byte[] good = serde.serializer().serialize(topic, SampleRecords.usageEvent());

            byte[] unknownId = good.clone();
            ByteBuffer.wrap(unknownId).putInt(1, 987_654_321);
            assertThatThrownBy(() -> serde.deserializer().deserialize(topic, unknownId))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageContaining("unknown schema id 987654321")
                    .hasMessageContaining("40403");

            byte[] wrongMagic = good.clone();
            wrongMagic[0] = 1;
            assertThatThrownBy(() -> serde.deserializer().deserialize(topic, wrongMagic))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageContaining("unknown magic byte 0x01");

            byte[] truncated = Arrays.copyOf(good, good.length / 2);
            assertThatThrownBy(() -> serde.deserializer().deserialize(topic, truncated))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageContaining("truncated payload");

            assertThatThrownBy(() -> serde.deserializer().deserialize(topic, new byte[] {0, 0}))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageContaining("truncated payload")
                    .hasMessageContaining("5-byte header");
        }
    }

    @Test
    void shouldCarryRecordsThroughARealBrokerConfiguredByProperties(Stack stack, TestNames names) throws Exception {
        String topic = names.topic(Topics.USAGE);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        UsageEvent event = SampleRecords.usageEvent();
        try (KafkaProducer<String, UsageEvent> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ConfluentAvroSerializer.class,
                "schema.registry.url", stack.schemaRegistryUrl()))) {
            producer.send(new ProducerRecord<>(topic, null, event.getOccurredAt().toEpochMilli(),
                    event.getEventId().toString(), event)).get();
        }
        List<UsageEvent> received = new ArrayList<>();
        try (KafkaConsumer<String, UsageEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ConfluentAvroDeserializer.class,
                "schema.registry.url", stack.schemaRegistryUrl(),
                "specific.avro.value.type", UsageEvent.class.getName()))) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, UsageEvent> r : consumer.poll(Duration.ofMillis(200))) {
                    received.add(r.value());
                    assertThat(r.key()).isEqualTo(event.getEventId().toString());
                    assertThat(r.timestamp()).isEqualTo(event.getOccurredAt().toEpochMilli());
                }
            }
        }
        assertThat(received).containsExactly(event);
    }
}
