package dev.tokenmin.ingest.mapping;

import dev.tokenmin.schemas.validation.InvalidUsageException;

import java.util.Arrays;
import java.util.Locale;

/** The usage formats tokenmin reads, by the name a caller gives in {@code format}. */
public enum UsageFormat {

    /** OpenAI Chat Completions {@code usage} (prompt_tokens include cached tokens). */
    OPENAI_CHAT("openai.chat"),
    /** OpenAI Responses {@code usage} (input_tokens include cached tokens). */
    OPENAI_RESPONSES("openai.responses"),
    /** Anthropic Messages {@code usage} (input_tokens exclude cache reads and writes). */
    ANTHROPIC_MESSAGES("anthropic.messages"),
    /** Google Gemini {@code usageMetadata} (promptTokenCount includes cached content). */
    GEMINI("google.gemini"),
    /** OpenTelemetry GenAI semantic-convention span attributes ({@code gen_ai.usage.*}). */
    OTEL_GENAI("otel.genai");

    private final String wireName;

    UsageFormat(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** The provider name a format implies, or null when the payload must say (OpenTelemetry). */
    public String impliedProvider() {
        return switch (this) {
            case OPENAI_CHAT, OPENAI_RESPONSES -> "openai";
            case ANTHROPIC_MESSAGES -> "anthropic";
            case GEMINI -> "google";
            case OTEL_GENAI -> null;
        };
    }

    /** Reads a format name such as {@code anthropic.messages}; the error lists the known ones. */
    public static UsageFormat parse(String name) {
        for (UsageFormat f : values()) {
            if (f.wireName.equalsIgnoreCase(name.strip()) || f.name().equalsIgnoreCase(name.strip())) {
                return f;
            }
        }
        throw new InvalidUsageException("format", "unknown provider format \"" + name + "\"; known: "
                + String.join(", ", Arrays.stream(values()).map(UsageFormat::wireName).toList()).toLowerCase(Locale.ROOT));
    }
}
