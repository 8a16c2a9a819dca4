package dev.tokenmin.schemas.validation;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.schemas.scope.ScopeKey;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks a usage event, reporting every field at fault at once: required ids present, strings within length limits,
 * token counts not negative, reasoning within output, a latency that fits the ledger, a plausible event time. The
 * ids spend is attributed to (customer, user, feature, team, session) must be able to form a scope key
 * ({@link ScopeKey#ID_RULE}). The agent applies it before spooling, so a bad event is refused at the gateway; the
 * stream app applies it again to whatever reaches the usage topic, and dead-letters what fails.
 */
public final class UsageEventValidator {

    /** Longest id or name accepted (customer, user, feature, model, ...). */
    public static final int MAX_STRING = 256;
    /** Most labels per event, and the longest label value. */
    public static final int MAX_LABELS = 32;
    public static final int MAX_LABEL_VALUE = 256;
    /** The longest call accepted, in milliseconds: UInt32's maximum, the ledger's column type (about 49.7 days). */
    public static final long MAX_LATENCY_MS = 0xFFFF_FFFFL;
    /** How far in the future an event time may be (clock skew between gateways). */
    public static final Duration MAX_FUTURE_SKEW = Duration.ofMinutes(5);
    /** Events before this are refused: no LLM usage to meter predates it (parsed once, not per event). */
    private static final Instant EARLIEST = Instant.parse("2020-01-01T00:00:00Z");

    private UsageEventValidator() {
    }

    /** @throws InvalidUsageException listing each invalid field and why */
    public static void validate(UsageEvent event, Instant now) {
        validate(event, now, false);
    }

    /**
     * The same; with {@code userIdHashed} the user id may be any text up to {@link #MAX_STRING} characters, since
     * only its keyed hash (which always forms a valid id) leaves the agent.
     */
    public static void validate(UsageEvent event, Instant now, boolean userIdHashed) {
        List<FieldError> errors = new ArrayList<>();
        if (event.getEventId() == null) {
            errors.add(new FieldError("event_id", "missing"));
        }
        if (event.getOccurredAt() == null) {
            errors.add(new FieldError("occurred_at", "missing"));
        } else if (event.getOccurredAt().isAfter(now.plus(MAX_FUTURE_SKEW))) {
            errors.add(new FieldError("occurred_at", "is more than " + MAX_FUTURE_SKEW.toMinutes()
                    + " minutes in the future: " + event.getOccurredAt()));
        } else if (event.getOccurredAt().isBefore(EARLIEST)) {
            errors.add(new FieldError("occurred_at", "is before 2020: " + event.getOccurredAt()));
        }
        required(errors, "source", event.getSource());
        scopeId(errors, "customer_id", event.getCustomerId(), true);
        required(errors, "provider", event.getProvider());
        required(errors, "model", event.getModel());
        optional(errors, "request_id", event.getRequestId());
        if (userIdHashed) {
            optional(errors, "user_id", event.getUserId());
        } else {
            scopeId(errors, "user_id", event.getUserId(), false);
        }
        scopeId(errors, "feature", event.getFeature(), false);
        scopeId(errors, "team", event.getTeam(), false);
        scopeId(errors, "session_id", event.getSessionId(), false);
        optional(errors, "agent_run_id", event.getAgentRunId());
        optional(errors, "requested_model", event.getRequestedModel());
        optional(errors, "model_tier", event.getModelTier());
        optional(errors, "intent", event.getIntent());
        optional(errors, "complexity", event.getComplexity());
        count(errors, "input_tokens", event.getInputTokens());
        count(errors, "cached_input_tokens", event.getCachedInputTokens());
        count(errors, "cache_write_tokens", event.getCacheWriteTokens());
        count(errors, "output_tokens", event.getOutputTokens());
        count(errors, "reasoning_tokens", event.getReasoningTokens());
        if (event.getReasoningTokens() > event.getOutputTokens()) {
            errors.add(new FieldError("reasoning_tokens", "(" + event.getReasoningTokens()
                    + ") cannot exceed output_tokens (" + event.getOutputTokens() + "), which includes them"));
        }
        if (event.getLatencyMs() != null && event.getLatencyMs() < 0) {
            errors.add(new FieldError("latency_ms", "must not be negative, was " + event.getLatencyMs()));
        } else if (event.getLatencyMs() != null && event.getLatencyMs() > MAX_LATENCY_MS) {
            errors.add(new FieldError("latency_ms", "at most " + MAX_LATENCY_MS + " (ClickHouse's UInt32), was "
                    + event.getLatencyMs()));
        }
        Map<String, String> labels = event.getLabels();
        if (labels != null) {
            if (labels.size() > MAX_LABELS) {
                errors.add(new FieldError("labels", "at most " + MAX_LABELS + " labels, was " + labels.size()));
            }
            for (Map.Entry<String, String> e : labels.entrySet()) {
                if (e.getKey().isEmpty() || e.getKey().length() > 64) {
                    errors.add(new FieldError("labels", "label names must be 1 to 64 characters"));
                } else if (e.getValue() != null && e.getValue().length() > MAX_LABEL_VALUE) {
                    errors.add(new FieldError("labels." + e.getKey(), "longer than " + MAX_LABEL_VALUE
                            + " characters (" + e.getValue().length() + ")"));
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidUsageException(errors);
        }
    }

    private static void required(List<FieldError> errors, String field, String value) {
        if (value == null || value.isBlank()) {
            errors.add(new FieldError(field, "missing"));
        } else {
            optional(errors, field, value);
        }
    }

    private static void scopeId(List<FieldError> errors, String field, String value, boolean required) {
        if (value == null) {
            if (required) {
                errors.add(new FieldError(field, "missing"));
            }
        } else if (!ScopeKey.isValidId(value)) {
            errors.add(new FieldError(field, value.isBlank() ? (required ? "missing" : "empty; leave it out instead")
                    : value.length() > 128
                    ? "longer than 128 characters (" + value.length() + ")" : "must be " + ScopeKey.ID_RULE));
        }
    }

    private static void optional(List<FieldError> errors, String field, String value) {
        if (value != null && value.length() > MAX_STRING) {
            errors.add(new FieldError(field, "longer than " + MAX_STRING + " characters (" + value.length() + ")"));
        }
    }

    private static void count(List<FieldError> errors, String field, long value) {
        if (value < 0) {
            errors.add(new FieldError(field, "must not be negative, was " + value));
        }
    }
}
