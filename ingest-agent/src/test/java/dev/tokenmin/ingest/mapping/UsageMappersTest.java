package dev.tokenmin.ingest.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenmin.schemas.validation.FieldError;
import dev.tokenmin.schemas.validation.InvalidUsageException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * One test per provider format with payloads shaped like the providers' own (responses, final streamed chunks),
 * asserting that every token is counted once: the canonical fields must add up to the provider's own total.
 */
class UsageMappersTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void shouldSplitOpenAiChatPromptTokensIntoUncachedAndCached() {
        JsonNode response = json("""
                {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion","created":1741570283,
                 "model":"gpt-4.1-mini-2025-04-14",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"..."},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,
                   "prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},
                   "completion_tokens_details":{"reasoning_tokens":128,"audio_tokens":0,
                     "accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}""");

        MappedUsage mapped = UsageMappers.map(UsageFormat.OPENAI_CHAT, response);

        assertThat(mapped.tokens()).isEqualTo(new TokenUsage(86, 1920, 0, 300, 128));
        assertThat(mapped.tokens().totalTokens()).isEqualTo(2306);
        assertThat(mapped.provider()).isEqualTo("openai");
        assertThat(mapped.model()).isEqualTo("gpt-4.1-mini-2025-04-14");
    }

    @Test
    void shouldReadTheFinalUsageChunkOfAStreamedOpenAiChatResponse() {
        JsonNode lastChunk = json("""
                {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1741570290,"model":"gpt-4o-2024-08-06",
                 "choices":[],
                 "usage":{"prompt_tokens":1200,"completion_tokens":40,"total_tokens":1240,
                   "prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":0}}}""");

        TokenUsage tokens = UsageMappers.map(UsageFormat.OPENAI_CHAT, lastChunk).tokens();

        assertThat(tokens).isEqualTo(new TokenUsage(176, 1024, 0, 40, 0));
        assertThat(tokens.totalTokens()).isEqualTo(1240);
    }

    @Test
    void shouldMapOpenAiResponsesIncludingTheResponseCompletedStreamEvent() {
        JsonNode completed = json("""
                {"type":"response.completed","sequence_number":42,
                 "response":{"id":"resp_67ccd2bed1ec8190","object":"response","status":"completed","model":"o4-mini-2025-04-16",
                   "usage":{"input_tokens":3500,"input_tokens_details":{"cached_tokens":3072},
                            "output_tokens":900,"output_tokens_details":{"reasoning_tokens":704},"total_tokens":4400}}}""");

        MappedUsage mapped = UsageMappers.map(UsageFormat.OPENAI_RESPONSES, completed);

        assertThat(mapped.tokens()).isEqualTo(new TokenUsage(428, 3072, 0, 900, 704));
        assertThat(mapped.tokens().totalTokens()).isEqualTo(4400);
        assertThat(mapped.model()).isEqualTo("o4-mini-2025-04-16");
    }

    @Test
    void shouldKeepAnthropicCacheReadsAndWritesApartFromInputTokens() {
        JsonNode message = json("""
                {"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
                 "content":[{"type":"text","text":"..."}],"stop_reason":"end_turn",
                 "usage":{"input_tokens":21,"cache_creation_input_tokens":188086,"cache_read_input_tokens":0,
                          "output_tokens":393,"service_tier":"standard",
                          "cache_creation":{"ephemeral_5m_input_tokens":188086,"ephemeral_1h_input_tokens":0}}}""");

        MappedUsage mapped = UsageMappers.map(UsageFormat.ANTHROPIC_MESSAGES, message);

        assertThat(mapped.tokens()).isEqualTo(new TokenUsage(21, 0, 188_086, 393, 0));
        assertThat(mapped.tokens().totalInputTokens()).as("every input token once").isEqualTo(21 + 188_086);
        assertThat(mapped.model()).isEqualTo("claude-sonnet-4-5-20250929");
    }

    @Test
    void shouldCombineAnthropicMessageStartWithTheFinalCumulativeMessageDelta() {
        JsonNode start = json("""
                {"type":"message_start","message":{"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY","type":"message",
                  "role":"assistant","content":[],"model":"claude-opus-4-1-20250805","stop_reason":null,
                  "usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":10240,
                           "output_tokens":2}}}""");
        JsonNode delta = json("""
                {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},
                 "usage":{"output_tokens":503}}""");

        MappedUsage mapped = UsageMappers.anthropicStream(start, delta);

        assertThat(mapped.tokens()).isEqualTo(new TokenUsage(472, 10_240, 0, 503, 0));
        assertThat(mapped.model()).isEqualTo("claude-opus-4-1-20250805");
    }

    @Test
    void shouldSubtractGeminiCachedContentAndAddThoughtsToOutput() {
        JsonNode lastChunk = json("""
                {"candidates":[{"content":{"parts":[{"text":"..."}],"role":"model"},"finishReason":"STOP","index":0}],
                 "usageMetadata":{"promptTokenCount":12000,"cachedContentTokenCount":9000,"candidatesTokenCount":350,
                   "thoughtsTokenCount":1200,"totalTokenCount":13550,
                   "promptTokensDetails":[{"modality":"TEXT","tokenCount":12000}],
                   "cacheTokensDetails":[{"modality":"TEXT","tokenCount":9000}]},
                 "modelVersion":"gemini-2.5-flash","responseId":"mAitaLmkHPPlz7IPvtfUqQ4"}""");

        MappedUsage mapped = UsageMappers.map(UsageFormat.GEMINI, lastChunk);

        assertThat(mapped.tokens()).isEqualTo(new TokenUsage(3000, 9000, 0, 1550, 1200));
        assertThat(mapped.tokens().totalTokens()).isEqualTo(13_550);
        assertThat(mapped.model()).isEqualTo("gemini-2.5-flash");
    }

    @Test
    void shouldReadOpenTelemetryGenAiAttributesWhoseInputIncludesCacheTokens() {
        JsonNode attributes = json("""
                {"gen_ai.operation.name":"chat","gen_ai.provider.name":"aws.bedrock",
                 "gen_ai.request.model":"claude-3-7-sonnet","gen_ai.response.model":"claude-3-7-sonnet-20250219",
                 "gen_ai.usage.input_tokens":5000,"gen_ai.usage.cache_read.input_tokens":4000,
                 "gen_ai.usage.cache_creation.input_tokens":200,"gen_ai.usage.output_tokens":250}""");

        MappedUsage mapped = UsageMappers.map(UsageFormat.OTEL_GENAI, attributes);

        assertThat(mapped.tokens()).isEqualTo(new TokenUsage(800, 4000, 200, 250, 0));
        assertThat(mapped.tokens().totalInputTokens()).isEqualTo(5000);
        assertThat(mapped.provider()).isEqualTo("aws.bedrock");
        assertThat(mapped.model()).isEqualTo("claude-3-7-sonnet-20250219");
        assertThat(mapped.requestedModel()).isEqualTo("claude-3-7-sonnet");
    }

    @Test
    void shouldAcceptTheOlderGenAiSystemAttributeForTheProvider() {
        JsonNode attributes = json("""
                {"gen_ai.system":"openai","gen_ai.request.model":"gpt-4o",
                 "gen_ai.usage.input_tokens":10,"gen_ai.usage.output_tokens":5}""");

        assertThat(UsageMappers.map(UsageFormat.OTEL_GENAI, attributes).provider()).isEqualTo("openai");
    }

    @Test
    void shouldNameEveryBadFieldAtOnce() {
        JsonNode bad = json("""
                {"usage":{"prompt_tokens":-5,"completion_tokens":"many",
                  "prompt_tokens_details":{"cached_tokens":10}}}""");

        assertThatThrownBy(() -> UsageMappers.map(UsageFormat.OPENAI_CHAT, bad))
                .isInstanceOf(InvalidUsageException.class)
                .satisfies(e -> assertThat(((InvalidUsageException) e).errors()).extracting(FieldError::field)
                        .containsExactly("usage.prompt_tokens", "usage.completion_tokens",
                                "usage.prompt_tokens_details.cached_tokens"));
        assertThatThrownBy(() -> UsageMappers.map(UsageFormat.GEMINI, json("{\"usageMetadata\":{}}")))
                .hasMessageContaining("usageMetadata.promptTokenCount: missing");
        assertThatThrownBy(() -> UsageFormat.parse("mistral.chat"))
                .hasMessageContaining("unknown provider format \"mistral.chat\"")
                .hasMessageContaining("anthropic.messages");
    }
}
