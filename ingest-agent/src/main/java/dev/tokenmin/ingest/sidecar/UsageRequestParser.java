package dev.tokenmin.ingest.sidecar;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.avro.UsageStatus;
import dev.tokenmin.ingest.mapping.MappedUsage;
import dev.tokenmin.ingest.mapping.TokenUsage;
import dev.tokenmin.ingest.mapping.UsageFormat;
import dev.tokenmin.ingest.mapping.UsageMappers;
import dev.tokenmin.schemas.validation.FieldError;
import dev.tokenmin.schemas.validation.InvalidUsageException;
import dev.tokenmin.schemas.validation.UsageEventValidator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Reads the body of {@code POST /v1/usage} into usage events. A body is one event object, a JSON array of them, or
 * {@code {"events": [...]}}. An event is either canonical (the token fields of the event contract) or a provider's
 * raw usage report: {@code "format"} (e.g. {@code "openai.chat"}) and {@code "usage"} (the usage object, or the
 * response or final stream chunk that holds it), with the same context fields beside them.
 *
 * <p>Defaults: {@code source} is the calling gateway; {@code occurred_at} (ISO-8601 or epoch milliseconds) is the
 * time of receipt; {@code provider} and {@code model} come from the raw report when it names them. Without an
 * {@code event_id}, one is derived from {@code source} and {@code request_id} (a name-based UUID) so a retried
 * request is counted once; with neither, a random one is chosen and the caller must not retry blindly.
 *
 * <p>Every problem of every event is reported, each with its path ({@code events[3].input_tokens}); unknown fields
 * are errors too, since a misspelt {@code customer} would otherwise bill the wrong scope.
 */
public final class UsageRequestParser {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Set<String> STRINGS = Set.of("event_id", "source", "request_id", "customer_id", "user_id",
            "feature", "team", "session_id", "agent_run_id", "provider", "model", "requested_model", "model_tier",
            "intent", "complexity");
    private static final List<String> TOKEN_FIELDS = List.of("input_tokens", "cached_input_tokens",
            "cache_write_tokens", "output_tokens", "reasoning_tokens");
    private static final Set<String> OTHER = Set.of("occurred_at", "latency_ms", "status", "labels", "format",
            "usage");
    private static final Map<String, String> HINTS = Map.of("customer", "customer_id", "user", "user_id",
            "session", "session_id", "tenant", "customer_id", "timestamp", "occurred_at", "prompt_tokens",
            "input_tokens with format openai.chat and usage", "completion_tokens", "output_tokens");

    private final int maxEvents;

    public UsageRequestParser(int maxEvents) {
        this.maxEvents = maxEvents;
    }

    /** The body has more events than one request may carry. */
    public static final class TooManyEventsException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooManyEventsException(int count, int max) {
            super("a request may carry at most " + max + " events, this one has " + count);
        }
    }

    /**
     * @param body    the request body, UTF-8 JSON
     * @param gateway the authenticated gateway: the default {@code source}
     * @param now     the time of receipt: the default {@code occurred_at}
     * @return the events, in order
     * @throws InvalidUsageException  listing every bad field of every event; nothing was accepted
     * @throws TooManyEventsException over the batch limit
     */
    public List<UsageEvent> parse(byte[] body, String gateway, Instant now) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            // Jackson's limits (nesting depth, number and string lengths) report no location.
            JsonLocation at = e.getLocation();
            throw new InvalidUsageException("body", "not valid JSON: " + e.getOriginalMessage()
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()));
        } catch (IOException e) {
            throw new InvalidUsageException("body", "unreadable: " + e.getMessage());
        }
        if (root == null || root.isMissingNode()) {
            throw new InvalidUsageException("body", "empty; send one event, an array of events or {\"events\": [...]}");
        }
        JsonNode items;
        String prefix;
        if (root.isArray()) {
            items = root;
            prefix = "events";
        } else if (root.isObject() && root.has("events") && root.size() == 1) {
            items = root.get("events");
            prefix = "events";
            if (!items.isArray()) {
                throw new InvalidUsageException("events", "must be an array of events");
            }
        } else if (root.isObject()) {
            items = null;
            prefix = "";
        } else {
            throw new InvalidUsageException("body", "must be an event object, an array of events or "
                    + "{\"events\": [...]}");
        }
        List<FieldError> errors = new ArrayList<>();
        List<UsageEvent> events = new ArrayList<>();
        if (items == null) {
            events.add(event(root, "", gateway, now, errors));
        } else {
            if (items.isEmpty()) {
                throw new InvalidUsageException("events", "empty batch");
            }
            if (items.size() > maxEvents) {
                throw new TooManyEventsException(items.size(), maxEvents);
            }
            for (int i = 0; i < items.size(); i++) {
                events.add(event(items.get(i), prefix + "[" + i + "].", gateway, now, errors));
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidUsageException(errors);
        }
        return events;
    }

    private static UsageEvent event(JsonNode node, String at, String gateway, Instant now, List<FieldError> errors) {
        if (!node.isObject()) {
            errors.add(new FieldError(at.isEmpty() ? "body" : at.substring(0, at.length() - 1),
                    "must be an event object"));
            return null;
        }
        int before = errors.size();
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!STRINGS.contains(name) && !TOKEN_FIELDS.contains(name) && !OTHER.contains(name)) {
                String hint = HINTS.get(name.toLowerCase(Locale.ROOT));
                errors.add(new FieldError(at + name, "unknown field" + (hint == null ? "" : "; did you mean " + hint
                        + "?")));
            }
        }
        Map<String, String> s = new HashMap<>();
        for (String name : STRINGS) {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                continue;
            }
            if (!v.isTextual()) {
                errors.add(new FieldError(at + name, "must be a string, was " + v.getNodeType().name()
                        .toLowerCase(Locale.ROOT)));
            } else if (!v.asText().isBlank()) { // an empty string means absent, as many gateways send it
                s.put(name, v.asText());
            }
        }
        // Set field by field rather than through the builder, which refuses a missing required field before the
        // validator can name it along with every other problem.
        UsageEvent b = new UsageEvent();
        b.setSource(s.getOrDefault("source", gateway));
        b.setRequestId(s.get("request_id"));
        b.setCustomerId(s.get("customer_id"));
        b.setUserId(s.get("user_id"));
        b.setFeature(s.get("feature"));
        b.setTeam(s.get("team"));
        b.setSessionId(s.get("session_id"));
        b.setAgentRunId(s.get("agent_run_id"));
        b.setRequestedModel(s.get("requested_model"));
        b.setModelTier(s.get("model_tier"));
        b.setIntent(s.get("intent"));
        b.setComplexity(s.get("complexity"));
        b.setEventId(eventId(s, b.getSource(), at, errors));
        Instant occurredAt = occurredAt(node.get("occurred_at"), at, now, errors);
        if (occurredAt != null) {
            b.setOccurredAt(occurredAt);
        }
        String provider = s.get("provider");
        String model = s.get("model");
        boolean raw = node.has("format") || node.has("usage");
        if (raw) {
            for (String field : TOKEN_FIELDS) {
                if (node.has(field)) {
                    errors.add(new FieldError(at + field, "give either format and usage, or the token fields, "
                            + "not both"));
                }
            }
            MappedUsage mapped = mapRaw(node, at, errors);
            if (mapped != null) {
                setTokens(b, mapped.tokens());
                provider = provider != null ? provider : mapped.provider();
                model = model != null ? model : mapped.model();
                if (b.getRequestedModel() == null && mapped.requestedModel() != null
                        && !mapped.requestedModel().equals(model)) {
                    b.setRequestedModel(mapped.requestedModel());
                }
            }
        } else {
            long[] t = new long[TOKEN_FIELDS.size()];
            for (int i = 0; i < t.length; i++) {
                t[i] = count(node.get(TOKEN_FIELDS.get(i)), at + TOKEN_FIELDS.get(i), errors);
            }
            b.setInputTokens(t[0]);
            b.setCachedInputTokens(t[1]);
            b.setCacheWriteTokens(t[2]);
            b.setOutputTokens(t[3]);
            b.setReasoningTokens(t[4]);
        }
        if (provider == null && raw && errors.size() == before) {
            errors.add(new FieldError(at + "provider", "missing, and the usage report does not name it"));
        }
        if (model == null && raw && errors.size() == before) {
            errors.add(new FieldError(at + "model", "missing, and the usage report does not name it"));
        }
        b.setProvider(provider == null ? null : provider.toLowerCase(Locale.ROOT));
        b.setModel(model);
        JsonNode latency = node.get("latency_ms");
        if (latency != null && !latency.isNull()) {
            b.setLatencyMs(count(latency, at + "latency_ms", errors));
        }
        b.setStatus(status(node.get("status"), at, errors));
        b.setLabels(labels(node.get("labels"), at, errors));
        boolean unreadable = errors.size() > before;
        Set<String> reported = new HashSet<>();
        errors.subList(before, errors.size()).forEach(err -> reported.add(err.field()));
        try {
            UsageEventValidator.validate(b, now, true);
        } catch (InvalidUsageException e) {
            // Everything else wrong with the event too, except what reading it already named.
            e.errors().stream().filter(err -> !reported.contains(at + err.field()))
                    .forEach(err -> errors.add(new FieldError(at + err.field(), err.reason())));
            return null;
        }
        return unreadable ? null : b;
    }

    private static MappedUsage mapRaw(JsonNode node, String at, List<FieldError> errors) {
        JsonNode format = node.get("format");
        JsonNode usage = node.get("usage");
        if (format == null || !format.isTextual()) {
            errors.add(new FieldError(at + "format", format == null ? "missing: which provider format usage is in ("
                    + formats() + ")" : "must be a string, one of " + formats()));
            return null;
        }
        if (usage == null || !usage.isObject()) {
            errors.add(new FieldError(at + "usage", "must be the provider's usage object (or the response or final "
                    + "stream chunk holding it)"));
            return null;
        }
        try {
            return UsageMappers.map(UsageFormat.parse(format.asText()), usage);
        } catch (InvalidUsageException e) {
            String where = e.errors().size() == 1 && e.errors().getFirst().field().equals("format") ? "" : "usage.";
            e.errors().forEach(err -> errors.add(new FieldError(at + where + err.field(), err.reason())));
            return null;
        }
    }

    private static String formats() {
        return String.join(", ", Arrays.stream(UsageFormat.values()).map(UsageFormat::wireName).toList());
    }

    private static void setTokens(UsageEvent e, TokenUsage t) {
        e.setInputTokens(t.inputTokens());
        e.setCachedInputTokens(t.cachedInputTokens());
        e.setCacheWriteTokens(t.cacheWriteTokens());
        e.setOutputTokens(t.outputTokens());
        e.setReasoningTokens(t.reasoningTokens());
    }

    private static UUID eventId(Map<String, String> s, String source, String at, List<FieldError> errors) {
        String given = s.get("event_id");
        if (given != null) {
            try {
                if (given.length() != 36) {
                    throw new IllegalArgumentException("not 36 characters");
                }
                return UUID.fromString(given);
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError(at + "event_id", "must be a UUID, was \"" + abbreviate(given) + "\""));
                return null;
            }
        }
        if (s.get("request_id") != null) {
            String name = source + "\n" + s.get("request_id");
            return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
        }
        return UUID.randomUUID();
    }

    private static Instant occurredAt(JsonNode v, String at, Instant now, List<FieldError> errors) {
        if (v == null || v.isNull()) {
            return now;
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return Instant.ofEpochMilli(v.asLong());
        }
        if (v.isTextual()) {
            try {
                return Instant.parse(v.asText());
            } catch (DateTimeParseException e) {
                // reported below
            }
        }
        errors.add(new FieldError(at + "occurred_at", "must be an ISO-8601 instant such as 2026-11-22T14:05:03Z "
                + "or epoch milliseconds, was " + abbreviate(v.toString())));
        return null;
    }

    private static long count(JsonNode v, String path, List<FieldError> errors) {
        if (v == null || v.isNull()) {
            return 0;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            errors.add(new FieldError(path, "must be a whole number, was " + abbreviate(v.toString())));
            return 0;
        }
        return v.asLong(); // a negative count is named by the validator
    }

    private static UsageStatus status(JsonNode v, String at, List<FieldError> errors) {
        if (v == null || v.isNull()) {
            return UsageStatus.OK;
        }
        for (UsageStatus status : UsageStatus.values()) {
            if (v.isTextual() && status.name().equalsIgnoreCase(v.asText())) {
                return status;
            }
        }
        errors.add(new FieldError(at + "status", "must be one of " + Arrays.stream(UsageStatus.values())
                .map(u -> u.name().toLowerCase(Locale.ROOT)).toList() + ", was " + abbreviate(v.toString())));
        return UsageStatus.OK;
    }

    private static Map<String, String> labels(JsonNode v, String at, List<FieldError> errors) {
        if (v == null || v.isNull()) {
            return Map.of();
        }
        if (!v.isObject()) {
            errors.add(new FieldError(at + "labels", "must be an object of strings"));
            return Map.of();
        }
        Map<String, String> out = new HashMap<>();
        v.properties().forEach(e -> {
            if (e.getValue().isTextual()) {
                out.put(e.getKey(), e.getValue().asText());
            } else {
                errors.add(new FieldError(at + "labels." + abbreviate(e.getKey()), "must be a string"));
            }
        });
        return out;
    }

    /** Echoes at most 64 characters of what the caller sent, so an error never carries a large payload back. */
    private static String abbreviate(String text) {
        return text.length() <= 64 ? text : text.substring(0, 64) + "...";
    }
}
