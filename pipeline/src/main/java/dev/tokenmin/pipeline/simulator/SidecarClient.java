package dev.tokenmin.pipeline.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tokenmin.pipeline.simulator.RoutingService.Verdict;
import dev.tokenmin.pipeline.simulator.RoutingTable.Tier;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.StringJoiner;

/**
 * What the simulated gateways and routing service say to the sidecar beside them, over its HTTP API: the
 * decisions in force for a request ({@code GET /v1/decisions}) and usage batches ({@code POST /v1/usage}).
 * A 429 or 503 is waited out as its {@code Retry-After} says; any other refusal is a bug in the simulator and
 * stops it.
 */
public final class SidecarClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ATTEMPTS = 30;

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public SidecarClient(URI base) {
        this.base = base;
    }

    /** The decisions in force for the task's scopes, combined. */
    public Verdict decisions(String token, Task t) throws IOException, InterruptedException {
        StringJoiner q = new StringJoiner("&", "?", "");
        q.add("customer=" + enc(t.customer())).add("user=" + enc(t.user())).add("feature=" + enc(t.feature().name()))
                .add("team=" + enc(t.feature().team()));
        if (t.sessionId() != null) {
            q.add("session=" + enc(t.sessionId()));
        }
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/decisions" + q)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token).GET().build();
        JsonNode body = JSON.readTree(send(request, "decisions"));
        boolean block = false;
        Tier maxTier = null;
        Long maxInput = null;
        for (JsonNode d : body.path("active")) {
            String action = d.path("action").asText();
            block |= action.equals("BLOCK");
            Tier cap = d.hasNonNull("max_model_tier") ? Tier.ofLabel(d.get("max_model_tier").asText()) : null;
            if (cap != null && (maxTier == null || cap.compareTo(maxTier) < 0)) {
                maxTier = cap;
            }
            if (d.hasNonNull("max_input_tokens")) {
                long cap2 = d.get("max_input_tokens").asLong();
                maxInput = maxInput == null ? cap2 : Math.min(maxInput, cap2);
            }
        }
        String reason = body.path("decision").isObject() ? body.path("decision").path("reason").asText() : null;
        return block || maxTier != null || maxInput != null ? new Verdict(block, maxTier, maxInput, reason)
                : Verdict.NONE;
    }

    /** Sends a batch of usage events; returns once the sidecar has them durably. */
    public void postUsage(String token, ArrayNode events) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/usage")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(events))).build();
        send(request, "usage");
    }

    private String send(HttpRequest request, String what) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            int status = r.statusCode();
            if (status / 100 == 2) {
                return r.body();
            }
            if ((status == 429 || status == 503) && attempt < ATTEMPTS) {
                long seconds = r.headers().firstValueAsLong("Retry-After").orElse(1);
                Thread.sleep(Duration.ofSeconds(Math.max(1, Math.min(seconds, 5)))); // the sidecar asked to wait
                continue;
            }
            throw new IOException("sidecar refused " + what + ": HTTP " + status + " " + r.body());
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
