package dev.tokenmin.ingest.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.ingest.UsageTopic;
import dev.tokenmin.ingest.privacy.UserIdHasher;
import dev.tokenmin.ingest.throttle.DecisionWriter;
import dev.tokenmin.ingest.throttle.RequestContext;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import dev.tokenmin.localstack.process.ChildProcess;
import dev.tokenmin.localstack.process.FreePorts;
import dev.tokenmin.localstack.process.Probes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The sidecar against the real broker and registry, in this JVM and as a process of its own. */
@ExtendWith(LocalStackExtension.class)
class SidecarIT {

    private static final String TOKEN = "it-token-0123456789abcdefghijklmn";
    private static final byte[] HASH_KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static Map<String, String> props(Stack stack, String topic, String throttleTopic, Path dir) throws IOException {
        Path tokens = dir.resolve("tokens.properties");
        Files.writeString(tokens, "gw-it=" + TOKEN + "\n");
        Map<String, String> props = new HashMap<>();
        props.put("bootstrap.servers", stack.kafkaBootstrapServers());
        props.put("schema.registry.url", stack.schemaRegistryUrl());
        props.put("topic", topic);
        props.put("throttle.topic", throttleTopic);
        props.put("spool.dir", dir.resolve("spool").toString());
        props.put("sidecar.port", "0");
        props.put("sidecar.tokens.file", tokens.toString());
        props.put("privacy.user.id.hash.key", Base64.getEncoder().encodeToString(HASH_KEY));
        props.put("shutdown.drain.ms", "5000");
        return props;
    }

    static String event(String id, int i) {
        return switch (i % 3) {
            case 0 -> """
                    {"event_id": "%s", "customer_id": "acme", "user_id": "alice@example.com", "feature": "summarize",
                     "provider": "openai", "model": "gpt-4.1-mini", "input_tokens": %d, "output_tokens": 20}"""
                    .formatted(id, 100 + i);
            case 1 -> """
                    {"event_id": "%s", "customer_id": "acme", "feature": "chat", "format": "openai.chat",
                     "usage": {"model": "gpt-4.1", "usage": {"prompt_tokens": %d, "completion_tokens": 30,
                               "prompt_tokens_details": {"cached_tokens": 100}}}}""".formatted(id, 100 + i);
            default -> """
                    {"event_id": "%s", "customer_id": "acme", "session_id": "s-%d", "format": "anthropic.messages",
                     "usage": {"model": "claude-haiku-4-5", "usage": {"input_tokens": %d, "output_tokens": 40,
                               "cache_read_input_tokens": 100}}}""".formatted(id, i % 7, 100 + i);
        };
    }

    static HttpResponse<String> post(URI base, List<String> events) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/usage")).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("[" + String.join(",", events) + "]")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static List<String> acceptedIds(HttpResponse<String> response) throws IOException {
        List<String> ids = new ArrayList<>();
        JSON.readTree(response.body()).get("event_ids").forEach(n -> ids.add(n.asText()));
        return ids;
    }

    @Test
    void shouldDeliverEveryAcceptedEventToKafka(Stack stack, TestNames names, @TempDir Path dir) throws Exception {
        String topic = names.topic("usage");
        UsageTopic.create(stack, topic);
        List<String> accepted = new ArrayList<>();
        try (SidecarServer sidecar = SidecarServer.start(SidecarConfig.fromProperties(
                props(stack, topic, names.topic("throttle"), dir)))) {
            for (int batch = 0; batch < 20; batch++) {
                List<String> events = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    events.add(event(UUID.randomUUID().toString(), batch * 50 + i));
                }
                HttpResponse<String> response = post(sidecar.uri(), events);
                assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
                accepted.addAll(acceptedIds(response));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> sidecar.emitter().metrics().sent() >= 1000);
        }

        List<ConsumerRecord<String, UsageEvent>> received = UsageTopic.readUntilAll(stack, topic, accepted,
                Duration.ofSeconds(30));

        assertThat(received).extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(accepted);
        Map<String, UsageEvent> byId = received.stream()
                .collect(Collectors.toMap(ConsumerRecord::key, ConsumerRecord::value));
        UsageEvent openAi = byId.get(accepted.get(1));
        assertThat(openAi.getInputTokens()).as("prompt minus cached").isEqualTo(101 - 100);
        assertThat(openAi.getCachedInputTokens()).isEqualTo(100);
        assertThat(openAi.getSource()).isEqualTo("gw-it");
        assertThat(byId.get(accepted.get(0)).getUserId()).isEqualTo(new UserIdHasher(HASH_KEY)
                .pseudonymOf("alice@example.com"));
        assertThat(byId.get(accepted.get(2)).getCachedInputTokens()).isEqualTo(100);
    }

    @Test
    void shouldAnswerADecisionWrittenToTheTopicWithinOneSecond(Stack stack, TestNames names, @TempDir Path dir)
            throws Exception {
        String throttle = names.topic("throttle");
        UsageTopic.create(stack, throttle, 3, Map.of("cleanup.policy", "compact"));
        try (SidecarServer sidecar = SidecarServer.start(SidecarConfig.fromProperties(
                props(stack, names.topic("usage"), throttle, dir)));
             DecisionWriter writer = new DecisionWriter(stack, throttle)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> Probes.answers200(sidecar.uri() + "/readyz"));
            // The stream app keys user scopes by the pseudonym; the router asks with the raw id.
            String scope = "customer:acme/user:" + new UserIdHasher(HASH_KEY).pseudonymOf("alice@example.com");
            RequestContext alice = new RequestContext("acme", "alice@example.com", "summarize", null, null);
            URI decisions = sidecar.uri().resolve("/v1/decisions?customer=acme&user=alice@example.com&feature=summarize");
            assertThat(decisionOf(decisions).get("action").asText()).isEqualTo("NONE");

            long written = System.nanoTime();
            writer.write(scope, DecisionWriter.decision(scope, ThrottleAction.BLOCK, null));
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(5))
                    .until(() -> sidecar.throttleView().decisionFor(alice).action() == ThrottleAction.BLOCK);
            long inView = System.nanoTime();
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(5))
                    .until(() -> decisionOf(decisions).get("action").asText().equals("BLOCK"));
            long overHttp = System.nanoTime();
            System.out.printf("decision visible %d ms after commit through decisionFor, %d ms through "
                    + "/v1/decisions%n", (inView - written) / 1_000_000, (overHttp - written) / 1_000_000);

            JsonNode body = decisionOf(decisions);
            assertThat(body.get("decision").get("scope").asText()).isEqualTo(scope);
            assertThat(body.get("decision").get("reason").asText()).contains("budget b-1");
            writer.write(scope, null);
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(5))
                    .until(() -> decisionOf(decisions).get("action").asText().equals("NONE"));
        }
    }

    private static JsonNode decisionOf(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + TOKEN)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    @Test
    void shouldLoseNoAcceptedEventWhenKilledRightAfterAnswering(Stack stack, TestNames names, @TempDir Path dir)
            throws Exception {
        String topic = names.topic("usage");
        UsageTopic.create(stack, topic);
        Map<String, String> props = props(stack, topic, names.topic("throttle"), dir);
        int port = FreePorts.pick();
        props.put("sidecar.port", Integer.toString(port));
        Path configFile = dir.resolve("sidecar.properties");
        Properties p = new Properties();
        p.putAll(props);
        try (Writer w = Files.newBufferedWriter(configFile)) {
            p.store(w, null);
        }
        URI base = URI.create("http://127.0.0.1:" + port);
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        int kills = 3;
        int perRound = 600;
        for (int round = 1; round <= kills + 1; round++) {
            ChildProcess sidecar = ChildProcess.startJava("sidecar", List.of("--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), SidecarMain.class.getName(), "--config",
                    configFile.toString()), dir, dir.resolve("sidecar.log"), Map.of());
            try {
                sidecar.awaitReady(Duration.ofSeconds(60), () -> Probes.answers200(base + "/healthz"));
                if (round > kills) {
                    break; // the last start only sends what the spool kept
                }
                int target = round * perRound;
                AtomicBoolean killed = new AtomicBoolean();
                List<Thread> senders = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    senders.add(Thread.ofPlatform().start(() -> {
                        while (!killed.get()) {
                            List<String> batch = new ArrayList<>();
                            for (int i = 0; i < 25; i++) {
                                batch.add(event(UUID.randomUUID().toString(), i));
                            }
                            try {
                                HttpResponse<String> r = post(base, batch);
                                if (r.statusCode() == 202) {
                                    accepted.addAll(acceptedIds(r));
                                    if (accepted.size() >= target && killed.compareAndSet(false, true)) {
                                        sidecar.kill(); // kill -9 right after a 202
                                    }
                                }
                            } catch (IOException e) {
                                return; // the process died under this request: not accepted
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return;
                            }
                        }
                    }));
                }
                for (Thread t : senders) {
                    t.join(Duration.ofSeconds(120));
                }
                assertThat(killed).as("the sidecar was killed in round " + round).isTrue();
            } finally {
                if (round > kills) {
                    // Let the restarted sidecar send what the spool kept, then stop it cleanly.
                    List<ConsumerRecord<String, UsageEvent>> received = UsageTopic.readUntilAll(stack, topic, accepted,
                            Duration.ofSeconds(90));
                    sidecar.close();
                    Set<String> inKafka = received.stream().map(ConsumerRecord::key).collect(Collectors.toSet());
                    long distinct = inKafka.size();
                    long missing = accepted.stream().filter(id -> !inKafka.contains(id)).count();
                    System.out.printf("sidecar killed -9 %d times right after a 202: %d events accepted, %d distinct "
                                    + "in Kafka, %d missing, %d records in all (%d resent after a restart)%n", kills,
                            accepted.size(), distinct, missing, received.size(), received.size() - distinct);
                    assertThat(missing).isZero();
                } else {
                    sidecar.kill();
                }
            }
        }
    }
}
