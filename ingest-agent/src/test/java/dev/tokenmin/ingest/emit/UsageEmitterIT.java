package dev.tokenmin.ingest.emit;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.ingest.UsageTopic;
import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The SDK against the real broker and registry. */
@ExtendWith(LocalStackExtension.class)
class UsageEmitterIT {

    private static final byte[] HASH_KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    static UsageEvent event(int i) {
        return UsageEvent.newBuilder()
                .setEventId(UUID.randomUUID()).setOccurredAt(Instant.now().minusSeconds(1).plusMillis(i))
                .setSource("gw-test").setCustomerId("acme").setUserId("alice@example.com").setFeature("summarize")
                .setProvider("openai").setModel("gpt-4.1-mini").setInputTokens(100 + i).setOutputTokens(10)
                .setLabels(Map.of("env", "test", "prompt_preview", "CANARY-secret-text"))
                .build();
    }

    static EmitterConfig config(Stack stack, String topic, Path spool) {
        Map<String, String> props = new HashMap<>();
        props.put(EmitterConfig.BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers());
        props.put(EmitterConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        props.put(EmitterConfig.TOPIC, topic);
        props.put(EmitterConfig.SPOOL_DIR, spool.toString());
        props.put(EmitterConfig.USER_ID_HASH_KEY, Base64.getEncoder().encodeToString(HASH_KEY));
        props.put(EmitterConfig.SHUTDOWN_DRAIN_MS, "5000");
        return EmitterConfig.fromProperties(props);
    }

    @Test
    void shouldDeliverEveryEmittedEventWithKeyTimestampHeadersAndPrivacyApplied(Stack stack, TestNames names,
                                                                                @TempDir Path spool) throws Exception {
        String topic = names.topic("usage");
        UsageTopic.create(stack, topic);
        List<UsageEvent> sent = new ArrayList<>();
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        try (UsageEmitter emitter = UsageEmitter.start(config(stack, topic, spool))) {
            for (int i = 0; i < 500; i++) {
                UsageEvent e = event(i);
                sent.add(e);
                Emission emission = emitter.emit(e);
                acks.add(emission.acknowledged());
                if (i == 0) {
                    emission.durable().get(5, TimeUnit.SECONDS);
                }
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            assertThat(emitter.metrics().sent()).isEqualTo(500);
            assertThat(emitter.labelsDropped()).isEqualTo(500);
        }

        List<ConsumerRecord<String, UsageEvent>> received = UsageTopic.readUntil(stack, topic, 500, Duration.ofSeconds(30));

        Map<String, UsageEvent> byId = new HashMap<>();
        sent.forEach(e -> byId.put(e.getEventId().toString(), e));
        assertThat(received).extracting(ConsumerRecord::key).containsOnlyOnceElementsOf(byId.keySet());
        ConsumerRecord<String, UsageEvent> first = received.getFirst();
        UsageEvent original = byId.get(first.key());
        assertThat(first.timestamp()).isEqualTo(original.getOccurredAt().toEpochMilli());
        assertThat(new String(first.headers().lastHeader("source").value(), StandardCharsets.UTF_8)).isEqualTo("gw-test");
        assertThat(Long.parseLong(new String(first.headers().lastHeader("ingested_at").value(), StandardCharsets.UTF_8)))
                .isGreaterThanOrEqualTo(original.getOccurredAt().toEpochMilli());
        assertThat(first.value().getUserId()).matches("h:[0-9a-f]{32}");
        assertThat(first.value().getLabels()).containsOnlyKeys("env");
        assertThat(first.value().getInputTokens()).isEqualTo(original.getInputTokens());
    }

    @Test
    void shouldLoseNothingWhileTheBrokerIsAwayFor30Seconds(LocalStack stack, TestNames names, @TempDir Path spool)
            throws Exception {
        String topic = names.topic("usage");
        UsageTopic.create(stack, topic);
        int before = 100;
        int during = 300;
        try (UsageEmitter emitter = UsageEmitter.start(config(stack, topic, spool))) {
            for (int i = 0; i < before; i++) {
                emitter.emit(event(i));
            }
            long stoppedAt = System.nanoTime();
            stack.kafka().stop();
            try {
                for (int i = 0; i < during; i++) {
                    emitter.emit(event(before + i)).durable().get(5, TimeUnit.SECONDS);
                    Thread.sleep(25_000 / during); // the injected fault: traffic spread over the outage
                }
                while (System.nanoTime() - stoppedAt < Duration.ofSeconds(30).toNanos()) {
                    Thread.sleep(100); // the injected fault: the broker stays away for 30 s in all
                }
                System.out.printf("outage: after 30 s without a broker: %d spooled, %d sent, %d bytes pending, "
                                + "oldest pending %d ms%n", emitter.metrics().spooled(), emitter.metrics().sent(),
                        emitter.metrics().pendingBytes(), emitter.metrics().oldestPendingAgeMillis());
                assertThat(emitter.metrics().pendingBytes()).as("back-pressure: the spool holds the events").isPositive();
                assertThat(emitter.metrics().oldestPendingAgeMillis()).isGreaterThan(20_000);
                assertThat(emitter.metrics().sent()).isLessThan(before + during);
            } finally {
                stack.kafka().restart();
            }
            long back = System.nanoTime();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50))
                    .until(() -> emitter.metrics().sent() >= before + during);
            System.out.printf("outage: all %d events acknowledged %d ms after the broker came back%n",
                    before + during, (System.nanoTime() - back) / 1_000_000);
        }

        List<ConsumerRecord<String, UsageEvent>> received = UsageTopic.readUntil(stack, topic, before + during,
                Duration.ofSeconds(60));
        assertThat(received.stream().map(ConsumerRecord::key).distinct().count()).isEqualTo(before + during);
    }
}
