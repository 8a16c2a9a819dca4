package dev.tokenmin.stream.app;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.kafka.TopicAdmin;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.pricing.PricePublisher;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Test fixture: tokenmin's topics for one test on the real local stack, the bundled prices on them, and stream app
 * instances (any number, one application id) with their state in {@code stateRoot}.
 */
final class RunningApp implements AutoCloseable {

    final Stack stack;
    final TopicNames topics;
    final String applicationId;
    final Map<String, Object> kafka;
    final SchemaRegistryClient registry;
    final List<StreamApp> instances = new ArrayList<>();
    private final Path stateRoot;
    private final HttpClient http = HttpClient.newHttpClient();

    RunningApp(Stack stack, String stem, String applicationId, Path stateRoot, int partitions) throws Exception {
        this.stack = stack;
        this.topics = TopicNames.DEFAULT.withSuffix("." + stem);
        this.applicationId = applicationId;
        this.stateRoot = stateRoot;
        this.kafka = Map.of("bootstrap.servers", stack.kafkaBootstrapServers());
        this.registry = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()));
        TopicAdmin.createMissing(kafka, topics, partitions);
        PricePublisher.publish(PriceCatalog.bundled(), topics.prices(), kafka, stack.schemaRegistryUrl());
    }

    /** Starts one more instance and waits until it runs. */
    StreamApp startInstance() throws InterruptedException {
        StreamAppConfig config = StreamAppConfig.fromProperties(Map.of(
                StreamAppConfig.BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers(),
                StreamAppConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl(),
                StreamAppConfig.APPLICATION_ID, applicationId,
                StreamAppConfig.STATE_DIR, stateRoot.resolve("instance-" + instances.size()).toString(),
                StreamAppConfig.HTTP_PORT, "0")).withTopics(topics);
        StreamApp app = StreamApp.start(config);
        instances.add(app);
        assertThat(app.awaitRunning(Duration.ofMinutes(2))).as("instance %d running", instances.size()).isTrue();
        return app;
    }

    KafkaProducer<String, UsageEvent> usageProducer(int lingerMs) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(props, new StringSerializer(),
                ConfluentAvroSerde.of(UsageEvent.class, registry, true).serializer());
    }

    /** Reads {@code topic} from the start, keeping every record, until {@code done} holds or {@code within} passed. */
    <V> List<ConsumerRecord<String, V>> read(String topic, Deserializer<V> values,
                                             Predicate<List<ConsumerRecord<String, V>>> done, Duration within) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        List<ConsumerRecord<String, V>> records = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + within.toNanos();
            while (!done.test(records) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    HttpResponse<String> get(StreamApp instance, String pathQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(instance.uri() + pathQuery)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> put(StreamApp instance, String path, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(instance.uri() + path))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        instances.forEach(StreamApp::close);
        registry.close();
    }
}
