package dev.tokenmin.benchmarks.load;

import dev.tokenmin.avro.UsageEvent;

import java.time.Instant;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/** Typical usage events for load: a few customers, users and features, realistic token counts. */
final class Events {

    private static final String[] FEATURES = {"summarize", "chat", "code-review", "extract", "classify"};
    private static final String[] MODELS = {"gpt-4.1-mini", "gpt-4.1", "claude-haiku-4-5", "gemini-2.5-flash"};

    private Events() {
    }

    static UsageEvent event(SplittableRandom random) {
        return event(random, 5_000, 20_000);
    }

    /** A typical event of one of {@code users} users (50 customers) in one of {@code sessions} sessions. */
    static UsageEvent event(SplittableRandom random, int users, int sessions) {
        int model = random.nextInt(MODELS.length);
        return UsageEvent.newBuilder()
                .setEventId(UUID.randomUUID()).setOccurredAt(Instant.now()).setSource("gw-load")
                .setRequestId("req-" + random.nextLong(1L << 40)).setCustomerId("c" + random.nextInt(50))
                .setUserId("u" + random.nextInt(users)).setFeature(FEATURES[random.nextInt(FEATURES.length)])
                .setTeam("team-" + random.nextInt(8)).setSessionId("s-" + random.nextInt(sessions))
                .setProvider(model < 2 ? "openai" : model == 2 ? "anthropic" : "google").setModel(MODELS[model])
                .setModelTier(model == 1 ? "large" : "small").setIntent("summarization")
                .setInputTokens(200 + random.nextInt(4_000)).setCachedInputTokens(random.nextInt(1_000))
                .setOutputTokens(50 + random.nextInt(800)).setLatencyMs(300L + random.nextInt(2_000))
                .setLabels(Map.of("env", "prod", "region", "eu-west-1"))
                .build();
    }

    /** The same event as canonical JSON for the sidecar. */
    static String json(UsageEvent e) {
        return "{\"event_id\":\"" + e.getEventId() + "\",\"occurred_at\":" + e.getOccurredAt().toEpochMilli()
                + ",\"request_id\":\"" + e.getRequestId() + "\",\"customer_id\":\"" + e.getCustomerId()
                + "\",\"user_id\":\"" + e.getUserId() + "\",\"feature\":\"" + e.getFeature() + "\",\"team\":\""
                + e.getTeam() + "\",\"session_id\":\"" + e.getSessionId() + "\",\"provider\":\"" + e.getProvider()
                + "\",\"model\":\"" + e.getModel() + "\",\"model_tier\":\"" + e.getModelTier()
                + "\",\"input_tokens\":" + e.getInputTokens() + ",\"cached_input_tokens\":"
                + e.getCachedInputTokens() + ",\"output_tokens\":" + e.getOutputTokens() + ",\"latency_ms\":"
                + e.getLatencyMs() + ",\"labels\":{\"env\":\"prod\",\"region\":\"eu-west-1\"}}";
    }
}
