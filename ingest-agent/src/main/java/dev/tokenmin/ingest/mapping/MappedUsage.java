package dev.tokenmin.ingest.mapping;

/**
 * A provider's usage report in canonical fields, with what it says about the model.
 *
 * @param tokens         the canonical token counts
 * @param provider       the provider, lowercase
 * @param model          the model that served the call, or null when the payload does not say
 * @param requestedModel the model asked for, where the format reports it apart (OpenTelemetry), or null
 */
public record MappedUsage(TokenUsage tokens, String provider, String model, String requestedModel) {

    public MappedUsage(TokenUsage tokens, String provider, String model) {
        this(tokens, provider, model, null);
    }
}
