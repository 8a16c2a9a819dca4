package dev.tokenmin.schemas.registry;

import com.sun.net.httpserver.HttpServer;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.localstack.process.FreePorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client's transport behaviour (retries, authentication headers, caching, error mapping) against a scripted
 * HTTP endpoint on 127.0.0.1. The registry's real answers are covered by SchemaRegistryClientIT.
 */
class SchemaRegistryClientTest {

    private record Answer(int status, String body) {
    }

    private final Deque<Answer> script = new ArrayDeque<>();
    private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    private final List<String> authorizations = Collections.synchronizedList(new ArrayList<>());
    private HttpServer server;

    private String start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            exchange.getRequestBody().readAllBytes();
            Answer answer = script.isEmpty() ? new Answer(500, "{}") : script.poll();
            byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer.status(), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static SchemaRegistryClient client(Map<String, String> extra, String url) {
        Map<String, String> props = new java.util.HashMap<>(extra);
        props.put("schema.registry.url", url);
        props.put("schema.registry.retry.backoff.ms", "5");
        return new SchemaRegistryClient(SchemaRegistryConfig.fromProperties(props));
    }

    @Test
    void shouldRetry5xxAnswersAndThenCacheTheId() throws IOException {
        String url = start();
        script.add(new Answer(503, "{\"error_code\":50003,\"message\":\"busy\"}"));
        script.add(new Answer(502, "<html>bad gateway</html>"));
        script.add(new Answer(200, "{\"id\":17}"));

        try (SchemaRegistryClient client = client(Map.of(), url)) {
            assertThat(client.register("s-value", UsageEvent.getClassSchema())).isEqualTo(17);
            assertThat(client.register("s-value", UsageEvent.getClassSchema())).isEqualTo(17);
            assertThat(client.getById(17)).isEqualTo(UsageEvent.getClassSchema());
        }
        assertThat(requests).containsExactly("POST /subjects/s-value/versions", "POST /subjects/s-value/versions",
                "POST /subjects/s-value/versions");
    }

    @Test
    void shouldNotRetry4xxAndShouldNameTheIdAndTheRegistrysErrorCode() throws IOException {
        String url = start();
        script.add(new Answer(404, "{\"error_code\":40403,\"message\":\"Schema 99 not found\"}"));

        try (SchemaRegistryClient client = client(Map.of(), url)) {
            assertThatThrownBy(() -> client.getById(99))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining("fetch schema id 99")
                    .hasMessageContaining("HTTP 404, error 40403: Schema 99 not found")
                    .satisfies(e -> assertThat(((SchemaRegistryException) e).errorCode()).isEqualTo(40403));
        }
        assertThat(requests).hasSize(1);
    }

    @Test
    void shouldSendBasicOrBearerCredentials() throws IOException {
        String url = start();
        script.add(new Answer(200, "[1]"));
        script.add(new Answer(200, "[1]"));

        try (SchemaRegistryClient basic = client(Map.of("basic.auth.user.info", "svc:s3cret"), url);
             SchemaRegistryClient bearer = client(Map.of("bearer.auth.token", "tok-123"), url)) {
            basic.versions("a");
            bearer.versions("a");
        }
        assertThat(authorizations).containsExactly(
                "Basic " + Base64.getEncoder().encodeToString("svc:s3cret".getBytes(StandardCharsets.UTF_8)),
                "Bearer tok-123");
    }

    @Test
    void shouldGiveUpOnAnUnreachableRegistryAfterTheConfiguredAttempts() {
        String url = "http://127.0.0.1:" + FreePorts.pick();
        try (SchemaRegistryClient client = client(Map.of("schema.registry.max.attempts", "2"), url)) {
            assertThatThrownBy(() -> client.getById(1))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining("schema registry at " + url)
                    .hasMessageContaining("after 2 attempt(s)")
                    .satisfies(e -> assertThat(((SchemaRegistryException) e).status()).isZero());
        }
    }
}
