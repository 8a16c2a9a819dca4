package dev.tokenmin.ingest.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenmin.schemas.validation.FieldError;
import dev.tokenmin.schemas.validation.InvalidUsageException;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns each provider's usage report into tokenmin's canonical token fields. Providers disagree on what their
 * counts include, and double-counted cache tokens are the most common cost bug, so each mapping is explicit:
 *
 * <ul>
 *   <li>OpenAI Chat Completions: {@code prompt_tokens} <em>includes</em> {@code prompt_tokens_details.cached_tokens};
 *       input = prompt - cached. {@code completion_tokens} includes {@code completion_tokens_details.reasoning_tokens}.
 *       OpenAI does not bill cache writes separately.</li>
 *   <li>OpenAI Responses: the same with {@code input_tokens}, {@code input_tokens_details.cached_tokens},
 *       {@code output_tokens}, {@code output_tokens_details.reasoning_tokens}.</li>
 *   <li>Anthropic Messages: {@code input_tokens} <em>excludes</em> {@code cache_read_input_tokens} and
 *       {@code cache_creation_input_tokens}; they map one to one. Extended thinking is inside {@code output_tokens}
 *       and not reported apart, so reasoning is 0.</li>
 *   <li>Google Gemini: {@code promptTokenCount} <em>includes</em> {@code cachedContentTokenCount}; tool-use prompt
 *       tokens are input too. {@code candidatesTokenCount} <em>excludes</em> {@code thoughtsTokenCount}; output =
 *       candidates + thoughts.</li>
 *   <li>OpenTelemetry GenAI: {@code gen_ai.usage.input_tokens} <em>includes</em> the optional
 *       {@code gen_ai.usage.cache_read.input_tokens} and {@code gen_ai.usage.cache_creation.input_tokens}.</li>
 * </ul>
 *
 * Each mapper takes either the usage object itself or the response, chunk or event that contains it (the final
 * usage chunk of a streamed response included), and reports every bad field at once.
 */
public final class UsageMappers {

    private UsageMappers() {
    }

    /** Maps {@code payload} in {@code format}. */
    public static MappedUsage map(UsageFormat format, JsonNode payload) {
        if (payload == null || !payload.isObject()) {
            throw new InvalidUsageException("usage", "must be a JSON object in the " + format.wireName() + " format");
        }
        return switch (format) {
            case OPENAI_CHAT -> openAiChat(payload);
            case OPENAI_RESPONSES -> openAiResponses(payload);
            case ANTHROPIC_MESSAGES -> anthropic(payload);
            case GEMINI -> gemini(payload);
            case OTEL_GENAI -> otel(payload);
        };
    }

    /** OpenAI Chat Completions: a response, the last streamed chunk ({@code stream_options.include_usage}), or usage. */
    static MappedUsage openAiChat(JsonNode payload) {
        JsonNode usage = payload.has("usage") ? payload.get("usage") : payload;
        Counts c = new Counts(payload.has("usage") ? "usage." : "");
        long prompt = c.required(usage, "prompt_tokens");
        long completion = c.required(usage, "completion_tokens");
        long cached = c.optional(usage.path("prompt_tokens_details"), "prompt_tokens_details.cached_tokens",
                "cached_tokens");
        long reasoning = c.optional(usage.path("completion_tokens_details"),
                "completion_tokens_details.reasoning_tokens", "reasoning_tokens");
        c.notMore("prompt_tokens_details.cached_tokens", cached, "prompt_tokens", prompt);
        c.notMore("completion_tokens_details.reasoning_tokens", reasoning, "completion_tokens", completion);
        c.throwIfAny();
        return new MappedUsage(new TokenUsage(prompt - cached, cached, 0, completion, reasoning), "openai",
                text(payload, "model"));
    }

    /** OpenAI Responses: a response, the {@code response.completed} stream event, or usage. */
    static MappedUsage openAiResponses(JsonNode payload) {
        JsonNode response = payload.has("response") ? payload.get("response") : payload;
        String prefix = payload.has("response") ? "response.usage." : response.has("usage") ? "usage." : "";
        JsonNode usage = response.has("usage") ? response.get("usage") : response;
        Counts c = new Counts(prefix);
        long input = c.required(usage, "input_tokens");
        long output = c.required(usage, "output_tokens");
        long cached = c.optional(usage.path("input_tokens_details"), "input_tokens_details.cached_tokens",
                "cached_tokens");
        long reasoning = c.optional(usage.path("output_tokens_details"), "output_tokens_details.reasoning_tokens",
                "reasoning_tokens");
        c.notMore("input_tokens_details.cached_tokens", cached, "input_tokens", input);
        c.notMore("output_tokens_details.reasoning_tokens", reasoning, "output_tokens", output);
        c.throwIfAny();
        return new MappedUsage(new TokenUsage(input - cached, cached, 0, output, reasoning), "openai",
                text(response, "model"));
    }

    /** Anthropic Messages: a message, a {@code message_delta} event with final usage, or usage. */
    static MappedUsage anthropic(JsonNode payload) {
        JsonNode message = payload.has("message") ? payload.get("message") : payload;
        JsonNode usage = message.has("usage") ? message.get("usage") : message;
        Counts c = new Counts(payload.has("message") ? "message.usage." : message.has("usage") ? "usage." : "");
        long input = c.optional(usage, "input_tokens", "input_tokens");
        long output = c.required(usage, "output_tokens");
        long cacheRead = c.optional(usage, "cache_read_input_tokens", "cache_read_input_tokens");
        long cacheWrite = c.optional(usage, "cache_creation_input_tokens", "cache_creation_input_tokens");
        c.throwIfAny();
        return new MappedUsage(new TokenUsage(input, cacheRead, cacheWrite, output, 0), "anthropic",
                text(message, "model"));
    }

    /**
     * A streamed Anthropic response: {@code message_start} carries the input and cache counts, {@code message_delta}
     * the final cumulative output (and, in newer API versions, the input counts again). Fields in the delta win.
     */
    public static MappedUsage anthropicStream(JsonNode messageStart, JsonNode messageDelta) {
        JsonNode startUsage = messageStart.path("message").path("usage");
        JsonNode deltaUsage = messageDelta.path("usage");
        ObjectNode merged = startUsage instanceof ObjectNode start ? start.deepCopy()
                : JsonNodeFactory.instance.objectNode();
        deltaUsage.properties().forEach(e -> {
            if (!e.getValue().isNull()) {
                merged.set(e.getKey(), e.getValue());
            }
        });
        MappedUsage mapped = anthropic(merged);
        return new MappedUsage(mapped.tokens(), "anthropic", text(messageStart.path("message"), "model"));
    }

    /** Google Gemini: a response or streamed chunk with {@code usageMetadata} (the last chunk is final), or it. */
    static MappedUsage gemini(JsonNode payload) {
        JsonNode usage = payload.has("usageMetadata") ? payload.get("usageMetadata") : payload;
        Counts c = new Counts(payload.has("usageMetadata") ? "usageMetadata." : "");
        long prompt = c.required(usage, "promptTokenCount");
        long cached = c.optional(usage, "cachedContentTokenCount", "cachedContentTokenCount");
        long toolPrompt = c.optional(usage, "toolUsePromptTokenCount", "toolUsePromptTokenCount");
        long candidates = c.optional(usage, "candidatesTokenCount", "candidatesTokenCount");
        long thoughts = c.optional(usage, "thoughtsTokenCount", "thoughtsTokenCount");
        c.notMore("cachedContentTokenCount", cached, "promptTokenCount", prompt);
        c.throwIfAny();
        return new MappedUsage(new TokenUsage(prompt - cached + toolPrompt, cached, 0, candidates + thoughts,
                thoughts), "google", text(payload, "modelVersion"));
    }

    /** OpenTelemetry GenAI span attributes, as a flat object of attribute names to values. */
    static MappedUsage otel(JsonNode attributes) {
        Counts c = new Counts("");
        long input = c.required(attributes, "gen_ai.usage.input_tokens");
        long output = c.required(attributes, "gen_ai.usage.output_tokens");
        long cacheRead = c.optional(attributes, "gen_ai.usage.cache_read.input_tokens",
                "gen_ai.usage.cache_read.input_tokens");
        long cacheWrite = c.optional(attributes, "gen_ai.usage.cache_creation.input_tokens",
                "gen_ai.usage.cache_creation.input_tokens");
        long reasoning = c.optional(attributes, "gen_ai.usage.reasoning.output_tokens",
                "gen_ai.usage.reasoning.output_tokens");
        c.notMore("gen_ai.usage.cache_read.input_tokens + gen_ai.usage.cache_creation.input_tokens",
                cacheRead + cacheWrite, "gen_ai.usage.input_tokens", input);
        c.notMore("gen_ai.usage.reasoning.output_tokens", reasoning, "gen_ai.usage.output_tokens", output);
        String provider = text(attributes, "gen_ai.provider.name");
        if (provider == null) {
            provider = text(attributes, "gen_ai.system"); // the attribute's name before semconv 1.37
        }
        if (provider == null) {
            c.errors.add(new FieldError("gen_ai.provider.name", "missing: which provider served the call"));
        }
        c.throwIfAny();
        String responseModel = text(attributes, "gen_ai.response.model");
        String requestModel = text(attributes, "gen_ai.request.model");
        return new MappedUsage(new TokenUsage(input - cacheRead - cacheWrite, cacheRead, cacheWrite, output, reasoning),
                provider, responseModel != null ? responseModel : requestModel, requestModel);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
    }

    /** Reads non-negative integer counts, collecting every error with its path. */
    private static final class Counts {
        final String prefix;
        final List<FieldError> errors = new ArrayList<>();

        Counts(String prefix) {
            this.prefix = prefix;
        }

        long required(JsonNode node, String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                errors.add(new FieldError(prefix + field, "missing"));
                return 0;
            }
            return check(v, prefix + field);
        }

        long optional(JsonNode node, String path, String field) {
            JsonNode v = node.get(field);
            return v == null || v.isNull() ? 0 : check(v, prefix + path);
        }

        long check(JsonNode v, String path) {
            if (!v.canConvertToLong() || !v.isIntegralNumber()) {
                errors.add(new FieldError(path, "must be a whole number of tokens, was " + v));
                return 0;
            }
            long n = v.asLong();
            if (n < 0) {
                errors.add(new FieldError(path, "must not be negative, was " + n));
                return 0;
            }
            return n;
        }

        void notMore(String partName, long part, String wholeName, long whole) {
            if (part > whole) {
                errors.add(new FieldError(prefix + partName, "(" + part + ") cannot exceed " + prefix + wholeName
                        + " (" + whole + "), which includes it"));
            }
        }

        void throwIfAny() {
            if (!errors.isEmpty()) {
                throw new InvalidUsageException(errors);
            }
        }
    }
}
