package dev.tokenmin.stream.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.AlertKind;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import dev.tokenmin.stream.alerts.Alerts;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.kafka.TopicAdmin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The notifier against the real broker and registry and a real HTTP receiver on 127.0.0.1: signatures verify,
 * 500s are retried, an endpoint that never answers well gets its alerts dead-lettered, and a restart delivers only
 * what was not delivered before.
 */
@ExtendWith(LocalStackExtension.class)
class WebhookNotifierIT {

    private static final String SECRET = "whsec-test-only";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request the receiver answered. */
    record Delivery(String alertId, int status, boolean signatureValid, String kind) {
    }

    @Test
    void shouldSignRetryDeadLetterAndNotDeliverTwiceAcrossARestart(Stack stack, TestNames names) throws Exception {
        TopicNames topics = TopicNames.DEFAULT.withSuffix("." + names);
        Map<String, Object> kafka = Map.of("bootstrap.servers", stack.kafkaBootstrapServers());
        TopicAdmin.createMissing(kafka, topics, 2);

        List<Delivery> deliveries = new CopyOnWriteArrayList<>();
        AtomicInteger failFirst = new AtomicInteger(2); // the first alert takes its third and last try
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/ops", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            boolean valid = Signatures.verify(SECRET, exchange.getRequestHeaders().getFirst(Signatures.HEADER), body,
                    Instant.now().getEpochSecond(), 300);
            JsonNode json = JSON.readTree(body);
            int status = failFirst.getAndDecrement() > 0 ? 500 : 200;
            deliveries.add(new Delivery(json.get("idempotency_key").asText(), status, valid, json.get("kind").asText()));
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        receiver.createContext("/broken", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        receiver.start();
        String base = "http://127.0.0.1:" + receiver.getAddress().getPort();
        NotifierConfig config = NotifierConfig.fromProperties(Map.ofEntries(
                Map.entry("bootstrap.servers", stack.kafkaBootstrapServers()),
                Map.entry("schema.registry.url", stack.schemaRegistryUrl()),
                Map.entry("notify.endpoints", "ops,broken"),
                Map.entry("notify.endpoint.ops.url", base + "/ops"), Map.entry("notify.endpoint.ops.secret", SECRET),
                Map.entry("notify.endpoint.ops.kinds", "unpriced_model"),
                Map.entry("notify.endpoint.broken.url", base + "/broken"),
                Map.entry("notify.endpoint.broken.secret", SECRET), Map.entry("notify.max.attempts", "3"),
                Map.entry("notify.backoff.initial.ms", "50"), Map.entry("notify.backoff.max.ms", "200")))
                .withTopics(topics).withGroupPrefix(names.applicationId("notifier"));

        try (SchemaRegistryClient registry = new SchemaRegistryClient(
                SchemaRegistryConfig.of(stack.schemaRegistryUrl()));
             KafkaProducer<String, Alert> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                     stack.kafkaBootstrapServers()), new StringSerializer(),
                     ConfluentAvroSerde.of(Alert.class, registry, true).serializer())) {
            List<Alert> first = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                first.add(Alerts.unpricedModel("openai", "model-" + i, Instant.now(), Instant.now()));
            }
            // Not for ops (a kind it did not ask for); the broken endpoint takes every kind.
            Alert other = Alerts.unpricedModel("acme-llm", "x", Instant.now(), Instant.now());
            other.setKind(AlertKind.ANOMALY);
            send(producer, topics.alerts(), first);
            send(producer, topics.alerts(), List.of(other));

            try (WebhookNotifier notifier = WebhookNotifier.start(config)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> okIds(deliveries).size() == 5
                        && notifier.counts().get("broken").deadLettered().get() == 6);
                assertThat(notifier.counts().get("ops").failedTries().get()).isEqualTo(2);
            }

            List<Alert> second = new ArrayList<>();
            for (int i = 5; i < 8; i++) {
                second.add(Alerts.unpricedModel("openai", "model-" + i, Instant.now(), Instant.now()));
            }
            send(producer, topics.alerts(), second);
            try (WebhookNotifier restarted = WebhookNotifier.start(config)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> okIds(deliveries).size() == 8
                        && restarted.counts().get("broken").deadLettered().get() == 3);
                // Still eight accepted deliveries a second on: a duplicate, were there one, would have shown.
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> deliveries.stream()
                        .filter(d -> d.status() == 200).count() == 8);
            }
        } finally {
            receiver.stop(0);
        }

        List<Delivery> ok = deliveries.stream().filter(d -> d.status() == 200).toList();
        assertThat(ok).extracting(Delivery::alertId).doesNotHaveDuplicates().hasSize(8);
        assertThat(ok).extracting(Delivery::kind).containsOnly("unpriced_model");
        assertThat(deliveries).allMatch(Delivery::signatureValid);
        assertThat(deliveries.stream().filter(d -> d.status() == 500)).hasSize(2);

        List<ConsumerRecord<String, byte[]>> dead = readAll(stack, topics.webhookDeadLetters(), 9);
        assertThat(dead).hasSize(9);
        assertThat(dead).allSatisfy(r -> {
            assertThat(new String(r.headers().lastHeader("tokenmin.webhook.endpoint").value(),
                    StandardCharsets.UTF_8)).isEqualTo("broken");
            assertThat(new String(r.headers().lastHeader("tokenmin.webhook.error").value(), StandardCharsets.UTF_8))
                    .isEqualTo("HTTP 503");
        });
    }

    private static List<String> okIds(List<Delivery> deliveries) {
        return deliveries.stream().filter(d -> d.status() == 200).map(Delivery::alertId).distinct().toList();
    }

    private static void send(KafkaProducer<String, Alert> producer, String topic, List<Alert> alerts)
            throws Exception {
        for (Alert a : alerts) {
            producer.send(new ProducerRecord<>(topic, a.getScope(), a)).get();
        }
    }

    private static List<ConsumerRecord<String, byte[]>> readAll(Stack stack, String topic, int expected) {
        Map<String, Object> props = new HashMap<>(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()));
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
