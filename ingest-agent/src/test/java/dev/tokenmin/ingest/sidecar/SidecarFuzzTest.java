package dev.tokenmin.ingest.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 1,000 malformed payloads at the sidecar's usage endpoint, from a seeded generator (the same 1,000 every run): junk
 * bytes, truncated and deeply nested JSON, wrong top-level shapes, and valid events with one field broken each way a
 * gateway might break it. Every one must be answered 4xx with a reason, never 5xx; none may reach the spool; and the
 * sidecar must go on accepting a valid event afterwards. Kafka is not needed for this (closed ports, as in
 * {@link SidecarServerTest}): nothing malformed may get as far as the spool.
 */
class SidecarFuzzTest {

    private static final int PAYLOADS = 1_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** One way to break a valid canonical event: the field it breaks and the broken value (raw JSON). */
    private record Breakage(String field, Function<SplittableRandom, String> value) {
    }

    private static final List<Breakage> BREAKAGES = List.of(
            new Breakage("customer_id", r -> null),
            new Breakage("provider", r -> null),
            new Breakage("model", r -> null),
            new Breakage("customer_id", r -> "\"\""),
            new Breakage("customer_id", r -> "\"has space\""),
            new Breakage("customer_id", r -> "\"" + "c".repeat(129 + r.nextInt(500)) + "\""),
            new Breakage("customer_id", r -> "42"),
            new Breakage("customer_id", r -> "{\"id\": \"acme\"}"),
            new Breakage("feature", r -> "\"" + "f".repeat(129 + r.nextInt(200)) + "\""),
            new Breakage("user_id", r -> "[\"u1\"]"),
            new Breakage("event_id", r -> "\"not-a-uuid\""),
            new Breakage("event_id", r -> String.valueOf(r.nextLong())),
            new Breakage("occurred_at", r -> "\"yesterday\""),
            new Breakage("occurred_at", r -> "\"2026-13-45T99:99:99Z\""),
            new Breakage("occurred_at", r -> "\"2999-01-01T00:00:00Z\""),
            new Breakage("occurred_at", r -> "true"),
            new Breakage("input_tokens", r -> String.valueOf(-1 - r.nextInt(1_000_000))),
            new Breakage("input_tokens", r -> "\"" + r.nextInt(1000) + "\""),
            new Breakage("input_tokens", r -> "1.5"),
            new Breakage("input_tokens", r -> "1e30"),
            new Breakage("input_tokens", r -> "99999999999999999999999999"),
            new Breakage("input_tokens", r -> "{}"),
            new Breakage("output_tokens", r -> "-" + (1 + r.nextInt(100))),
            new Breakage("output_tokens", r -> "[]"),
            new Breakage("cached_input_tokens", r -> "\"many\""),
            new Breakage("labels", r -> "\"env=prod\""),
            new Breakage("labels", r -> "{\"env\": {\"nested\": true}}"),
            new Breakage("labels", r -> "[1, 2]"),
            new Breakage("format", r -> "\"mistral.chat\""),
            new Breakage("format", r -> "\"openai.chat\""),   // a provider format without its usage object
            new Breakage("costumer_id", r -> "\"acme\""),      // an unknown field
            new Breakage("status", r -> "\"maybe\""));

    @TempDir
    Path dir;
    private SidecarServer sidecar;

    @AfterEach
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    private static Map<String, String> validEvent(SplittableRandom r) {
        Map<String, String> fields = new TreeMap<>();
        fields.put("event_id", "\"" + new UUID(r.nextLong(), r.nextLong()) + "\"");
        fields.put("occurred_at", "\"2026-11-22T10:00:00Z\"");
        fields.put("customer_id", "\"acme\"");
        fields.put("user_id", "\"u1\"");
        fields.put("feature", "\"summarize\"");
        fields.put("provider", "\"openai\"");
        fields.put("model", "\"gpt-4.1-mini\"");
        fields.put("input_tokens", "1200");
        fields.put("output_tokens", "250");
        fields.put("labels", "{\"env\": \"prod\"}");
        return fields;
    }

    private static String object(Map<String, String> fields) {
        StringBuilder b = new StringBuilder("{");
        fields.forEach((k, v) -> b.append(b.length() == 1 ? "" : ", ").append('"').append(k).append("\": ").append(v));
        return b.append('}').toString();
    }

    /** The i-th malformed payload: bytes, and what kind of malformation it is (for the failure message). */
    private static Map.Entry<String, byte[]> payload(SplittableRandom r, int i) {
        String valid = object(validEvent(r));
        return switch (i % 10) {
            case 0 -> {
                byte[] junk = new byte[1 + r.nextInt(2_000)];
                for (int b = 0; b < junk.length; b++) {
                    junk[b] = (byte) r.nextInt(256);
                }
                junk[0] = (byte) "{[\"x!0 ".charAt(r.nextInt(7)); // starts like JSON, or not
                yield Map.entry("junk bytes", junk);
            }
            case 1 -> Map.entry("truncated JSON", valid.substring(0, 1 + r.nextInt(valid.length() - 2))
                    .getBytes(StandardCharsets.UTF_8));
            case 2 -> {
                int depth = 500 + r.nextInt(20_000);
                yield Map.entry("nested " + depth + " deep", ("[".repeat(depth) + "]".repeat(depth))
                        .getBytes(StandardCharsets.UTF_8));
            }
            case 3 -> {
                String[] shapes = {"null", "true", "42", "\"event\"", "[]", "{}", "[[]]", "[null]", "[42]",
                    "{\"events\": 42}", "{\"events\": [null]}", "", "   ", "[" + valid + ", 7]"};
                String shape = shapes[r.nextInt(shapes.length)];
                yield Map.entry("shape " + shape, shape.getBytes(StandardCharsets.UTF_8));
            }
            case 4 -> {
                byte[] utf8 = valid.getBytes(StandardCharsets.UTF_8);
                int at = valid.indexOf("acme") + r.nextInt(4);
                utf8[at] = (byte) (0x80 | r.nextInt(0x40)); // a continuation byte with no lead: invalid UTF-8
                yield Map.entry("invalid UTF-8", utf8);
            }
            default -> {
                Breakage broken = BREAKAGES.get(r.nextInt(BREAKAGES.size()));
                Map<String, String> fields = validEvent(r);
                String value = broken.value().apply(r);
                if (value == null) {
                    fields.remove(broken.field());
                } else {
                    fields.put(broken.field(), value);
                }
                String event = object(fields);
                // Alone, or hidden among valid events in a batch: a batch is accepted whole or not at all.
                String body = r.nextBoolean() ? event : "[" + object(validEvent(r)) + ", " + event + "]";
                yield Map.entry(broken.field() + " = " + value, body.getBytes(StandardCharsets.UTF_8));
            }
        };
    }

    private HttpResponse<String> post(byte[] body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(sidecar.uri().resolve("/v1/usage"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + SidecarServerTest.TOKEN)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldAnswerEveryMalformedPayload4xxWithAReasonAndKeepServing() throws Exception {
        sidecar = SidecarServer.start(SidecarConfig.fromProperties(SidecarServerTest.withoutKafka(dir)));

        SplittableRandom random = new SplittableRandom(20261123);
        Map<Integer, Integer> statuses = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < PAYLOADS; i++) {
            Map.Entry<String, byte[]> p = payload(random, i);
            HttpResponse<String> r = post(p.getValue());
            statuses.merge(r.statusCode(), 1, Integer::sum);
            String reason = reason(r.body());
            if (r.statusCode() < 400 || r.statusCode() >= 500 || reason.isBlank()) {
                failures.add("#" + i + " (" + p.getKey() + "): " + r.statusCode() + " " + r.body());
            }
        }

        assertThat(failures).as("payloads not answered 4xx with a reason").isEmpty();
        assertThat(sidecar.emitter().metrics().spooled()).as("nothing malformed reached the spool").isZero();
        HttpResponse<String> valid = post(object(validEvent(random)).getBytes(StandardCharsets.UTF_8));
        assertThat(valid.statusCode()).as("still serving: " + valid.body()).isEqualTo(202);
        assertThat(sidecar.emitter().metrics().spooled()).isEqualTo(1);
        System.out.printf("[SidecarFuzzTest] %,d malformed payloads, answered: %s; then a valid event: 202%n", PAYLOADS,
                statuses);
    }

    /** The reason in an error body: its {@code error}, and each listed field's reason. */
    private static String reason(String body) {
        try {
            JsonNode json = JSON.readTree(body);
            StringBuilder reason = new StringBuilder(json.path("error").asText(""));
            json.path("errors").forEach(e -> reason.append(' ').append(e.path("field").asText())
                    .append(": ").append(e.path("reason").asText()));
            return reason.toString().strip();
        } catch (IOException e) {
            return "";
        }
    }
}
