package dev.tokenmin.ingest.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sidecar's HTTP contract without Kafka: the broker and registry addresses point at closed ports, so accepted
 * events stay in the spool. Delivery to a real broker is {@code SidecarIT}'s job.
 */
class SidecarServerTest {

    static final String TOKEN = "test-token-0123456789abcdefghij";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;
    private SidecarServer sidecar;

    @AfterEach
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    private SidecarServer start(Map<String, String> extra) throws IOException {
        Map<String, String> props = withoutKafka(dir);
        props.putAll(extra);
        sidecar = SidecarServer.start(SidecarConfig.fromProperties(props));
        return sidecar;
    }

    /**
     * Sidecar settings with Kafka and the registry at closed ports (accepted events stay in the spool under
     * {@code dir}), a loopback port of its own, and tokens for {@code gw-test} ({@link #TOKEN}) and {@code gw-other}.
     */
    static Map<String, String> withoutKafka(Path dir) throws IOException {
        Path tokens = dir.resolve("tokens.properties");
        Files.writeString(tokens, "gw-test=" + TOKEN + "\ngw-other=another-token-0123456789abcdef\n");
        Map<String, String> props = new HashMap<>();
        props.put("bootstrap.servers", "127.0.0.1:" + closedPort());
        props.put("schema.registry.url", "http://127.0.0.1:" + closedPort());
        props.put("spool.dir", dir.resolve("spool").toString());
        props.put("sidecar.port", "0");
        props.put("sidecar.tokens.file", tokens.toString());
        props.put("shutdown.drain.ms", "200");
        props.put("kafka.reconnect.backoff.max.ms", "5000");
        return props;
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private HttpResponse<String> post(String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(sidecar.uri().resolve("/v1/usage"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(sidecar.uri().resolve(path)).header("Authorization", "Bearer " + TOKEN)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static String canonical(String eventId) {
        return """
                {"event_id": "%s", "occurred_at": "2026-11-22T10:00:00Z", "customer_id": "acme", "user_id": "u1",
                 "feature": "summarize", "provider": "openai", "model": "gpt-4.1-mini", "input_tokens": 1200,
                 "cached_input_tokens": 300, "output_tokens": 250, "labels": {"env": "prod"}}""".formatted(eventId);
    }

    @Test
    void shouldAcceptACanonicalEventAndABatchOfRawProviderUsage() throws Exception {
        start(Map.of());
        String id = UUID.randomUUID().toString();

        HttpResponse<String> single = post(canonical(id), TOKEN);
        HttpResponse<String> batch = post("""
                [{"format": "anthropic.messages", "customer_id": "acme", "feature": "chat", "request_id": "msg_01",
                  "usage": {"model": "claude-sonnet-4-5", "usage": {"input_tokens": 20, "cache_read_input_tokens": 4000,
                            "cache_creation_input_tokens": 0, "output_tokens": 350}}},
                 {"format": "openai.chat", "customer_id": "acme", "session_id": "s-1",
                  "usage": {"model": "gpt-4.1", "usage": {"prompt_tokens": 2006, "completion_tokens": 300,
                            "prompt_tokens_details": {"cached_tokens": 1920}}}}]""", TOKEN);

        assertThat(single.statusCode()).as(single.body()).isEqualTo(202);
        assertThat(JSON.readTree(single.body()).get("event_ids").get(0).asText()).isEqualTo(id);
        assertThat(batch.statusCode()).as(batch.body()).isEqualTo(202);
        JsonNode accepted = JSON.readTree(batch.body());
        assertThat(accepted.get("accepted").asInt()).isEqualTo(2);
        // A request id gives a stable event id, so a retried request is counted once.
        assertThat(accepted.get("event_ids").get(0).asText()).isEqualTo(UUID.nameUUIDFromBytes(
                "gw-test\nmsg_01".getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString());
        assertThat(sidecar.emitter().metrics().spooled()).isEqualTo(3);
    }

    @Test
    void shouldListEveryInvalidFieldAndAcceptNothing() throws Exception {
        start(Map.of());
        String tooLong = "f".repeat(300);

        HttpResponse<String> response = post("""
                {"events": [
                  {"provider": "openai", "model": "gpt-4.1", "input_tokens": -5},
                  {"customer_id": "acme", "format": "mistral.chat", "usage": {"tokens": 1}},
                  {"customer_id": "acme", "provider": "openai", "model": "gpt-4.1", "occurred_at": "yesterday",
                   "feature": "%s"},
                  {"customer": "acme", "provider": "openai", "model": "gpt-4.1"}]}""".formatted(tooLong), TOKEN);

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode errors = JSON.readTree(response.body()).get("errors");
        assertThat(errors.findValuesAsText("field")).contains("events[0].customer_id", "events[0].input_tokens",
                "events[1].format", "events[2].occurred_at", "events[2].feature", "events[3].customer");
        assertThat(response.body()).contains("unknown provider format \\\"mistral.chat\\\"", "must not be negative",
                "longer than 128 characters", "did you mean customer_id?");
        assertThat(sidecar.emitter().metrics().spooled()).isZero();
    }

    @Test
    void shouldRefuseCallersWithoutAValidBearerToken() throws Exception {
        start(Map.of());

        assertThat(post(canonical(UUID.randomUUID().toString()), null).statusCode()).isEqualTo(401);
        assertThat(post(canonical(UUID.randomUUID().toString()), TOKEN + "x").statusCode()).isEqualTo(401);
        HttpResponse<String> basic = HTTP.send(HttpRequest.newBuilder(sidecar.uri().resolve("/v1/usage"))
                .header("Authorization", "Basic " + TOKEN).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(basic.statusCode()).isEqualTo(401);
        assertThat(basic.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"tokenmin\"");
        assertThat(basic.headers().firstValue("Connection")).as("refused before its body was read: not reused")
                .hasValue("close");
        assertThat(post(canonical(UUID.randomUUID().toString()), "another-token-0123456789abcdef").statusCode())
                .isEqualTo(202);
        assertThat(sidecar.emitter().metrics().spooled()).isEqualTo(1);
    }

    @Test
    void shouldRefuseBodiesOverTheSizeOrBatchLimit() throws Exception {
        start(Map.of("sidecar.max.body.bytes", "2048", "sidecar.max.batch.events", "3"));

        HttpResponse<String> big = post("[" + String.join(",", java.util.Collections.nCopies(10,
                canonical(UUID.randomUUID().toString()))) + "]", TOKEN);
        HttpResponse<String> many = post("[" + String.join(",", List.of(canonical(UUID.randomUUID().toString()),
                canonical(UUID.randomUUID().toString()), canonical(UUID.randomUUID().toString()),
                canonical(UUID.randomUUID().toString())).stream().map(s -> s.replaceAll("\\s+", " ")).toList()) + "]",
                TOKEN);

        assertThat(big.statusCode()).isEqualTo(413);
        assertThat(many.statusCode()).isEqualTo(413);
        assertThat(many.body()).contains("at most 3 events");
    }

    @Test
    void shouldAnswer429WithRetryAfterWhenTheSpoolIsFullAndKeepWhatItAccepted() throws Exception {
        start(Map.of("spool.max.bytes", "4096", "spool.segment.bytes", "4096", "spool.overflow", "reject",
                "sidecar.retry.after.seconds", "2"));

        int accepted = 0;
        HttpResponse<String> last = null;
        for (int i = 0; i < 100; i++) {
            last = post(canonical(UUID.randomUUID().toString()), TOKEN);
            if (last.statusCode() != 202) {
                break;
            }
            accepted++;
        }

        assertThat(last.statusCode()).isEqualTo(429);
        assertThat(last.headers().firstValue("Retry-After")).hasValue("2");
        assertThat(accepted).isGreaterThan(5);
        assertThat(sidecar.emitter().metrics().spooled()).isEqualTo(accepted);
        assertThat(sidecar.emitter().metrics().rejected()).isEqualTo(1);
    }

    @Test
    void shouldReportHealthReadinessAndMetrics() throws Exception {
        start(Map.of());
        post(canonical(UUID.randomUUID().toString()), TOKEN);

        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        // Without a broker the throttle view cannot catch up: not ready, and decisions are not guessed.
        assertThat(get("/readyz").statusCode()).isEqualTo(503);
        HttpResponse<String> decision = get("/v1/decisions?customer=acme&user=u1");
        assertThat(decision.statusCode()).isEqualTo(503);
        assertThat(decision.headers().firstValue("Retry-After")).isPresent();
        assertThat(get("/v1/decisions?costumer=acme").statusCode()).isEqualTo(400);
        HttpResponse<String> metrics = get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("tokenmin_sidecar_requests_total{route=\"/v1/usage\",status=\"202\"} 1.0",
                "tokenmin_spool_pending_bytes", "tokenmin_sidecar_events_accepted_total{gateway=\"gw-test\"} 1.0");
    }

    @Test
    void shouldAnswerWrongMethodsPathsAndContentTypes() throws Exception {
        start(Map.of());

        assertThat(get("/v1/usage").statusCode()).isEqualTo(405);
        assertThat(get("/v2/usage").statusCode()).isEqualTo(404);
        HttpResponse<String> form = HTTP.send(HttpRequest.newBuilder(sidecar.uri().resolve("/v1/usage"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("customer=acme")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(form.statusCode()).isEqualTo(415);
        assertThat(post("{not json", TOKEN).statusCode()).isEqualTo(400);
    }
}
