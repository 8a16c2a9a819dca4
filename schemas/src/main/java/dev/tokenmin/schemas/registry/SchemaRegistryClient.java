package dev.tokenmin.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A client for the Confluent Schema Registry REST API: register, look up, fetch by id, check compatibility, read
 * and set a subject's compatibility level. It works against any Confluent-compatible registry (Confluent, Apicurio's
 * {@code /apis/ccompat/v7}, Karapace, Redpanda).
 *
 * <p>It exists because Confluent's own client and serializer jars are not published on Maven Central, which is the
 * only Maven repository tokenmin builds from. It speaks the same REST API and, with the serdes in
 * {@code dev.tokenmin.schemas.serde}, the same wire format, so Python and Go producers using Confluent's libraries
 * interoperate with it.
 *
 * <p>Registrations, look-ups and schemas by id are cached for the life of the client (one entry per schema version,
 * so the caches stay small): after the first call for a schema, serializing costs no request. Connection errors,
 * timeouts and 5xx answers are tried again with exponential backoff; 4xx answers are not. Thread-safe.
 */
public final class SchemaRegistryClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryClient.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A schema as registered under a subject. */
    public record RegisteredSchema(String subject, int id, int version) {
    }

    private record SubjectSchema(String subject, Schema schema) {
    }

    private final SchemaRegistryConfig config;
    private final HttpClient http;
    private final String authorization;
    private final Map<SubjectSchema, Integer> registered = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, RegisteredSchema> lookedUp = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();

    public SchemaRegistryClient(SchemaRegistryConfig config) {
        this.config = config;
        this.http = HttpClient.newBuilder().connectTimeout(config.connectTimeout()).build();
        if (config.basicUserInfo() != null) {
            this.authorization = "Basic " + Base64.getEncoder().encodeToString(
                    config.basicUserInfo().getBytes(StandardCharsets.UTF_8));
        } else if (config.bearerToken() != null) {
            this.authorization = "Bearer " + config.bearerToken();
        } else {
            this.authorization = null;
        }
    }

    public SchemaRegistryConfig config() {
        return config;
    }

    /** Registers {@code schema} under {@code subject} (idempotent) and returns its global id. */
    public int register(String subject, Schema schema) {
        SubjectSchema key = new SubjectSchema(subject, schema);
        Integer cached = registered.get(key);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema),
                "register a schema under subject '" + subject + "'");
        int id = answer.path("id").asInt(-1);
        if (id < 0) {
            throw unexpected("register under subject '" + subject + "'", answer);
        }
        registered.put(key, id);
        byId.putIfAbsent(id, schema);
        return id;
    }

    /** The id and version of {@code schema} under {@code subject}; not found (40403 or 40401) when it is not there. */
    public RegisteredSchema lookup(String subject, Schema schema) {
        SubjectSchema key = new SubjectSchema(subject, schema);
        RegisteredSchema cached = lookedUp.get(key);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("POST", "/subjects/" + encode(subject), schemaBody(schema),
                "look up a schema under subject '" + subject + "'");
        RegisteredSchema found = new RegisteredSchema(answer.path("subject").asText(subject),
                answer.path("id").asInt(-1), answer.path("version").asInt(-1));
        if (found.id() < 0) {
            throw unexpected("look up under subject '" + subject + "'", answer);
        }
        lookedUp.put(key, found);
        byId.putIfAbsent(found.id(), schema);
        return found;
    }

    /** The schema with global id {@code id}. */
    public Schema getById(int id) {
        Schema cached = byId.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("GET", "/schemas/ids/" + id, null, "fetch schema id " + id);
        String text = answer.path("schema").asText(null);
        String type = answer.path("schemaType").asText("AVRO");
        if (text == null || !"AVRO".equals(type)) {
            throw new SchemaRegistryException("schema registry: schema id " + id + " is not an Avro schema (type "
                    + type + ")", 200, 0, null);
        }
        try {
            Schema schema = new Schema.Parser().parse(text);
            Schema previous = byId.putIfAbsent(id, schema);
            return previous != null ? previous : schema;
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException("schema registry: schema id " + id + " does not parse as Avro: "
                    + e.getMessage(), 200, 0, e);
        }
    }

    /** The versions registered under {@code subject}, oldest first. */
    public List<Integer> versions(String subject) {
        JsonNode answer = send("GET", "/subjects/" + encode(subject) + "/versions", null,
                "list the versions of subject '" + subject + "'");
        List<Integer> versions = new ArrayList<>();
        answer.forEach(v -> versions.add(v.asInt()));
        return versions;
    }

    /** True when {@code schema} may be registered under {@code subject} by the subject's compatibility rule. */
    public boolean isCompatible(String subject, Schema schema) {
        JsonNode answer = send("POST", "/compatibility/subjects/" + encode(subject) + "/versions/latest",
                schemaBody(schema), "check compatibility with subject '" + subject + "'");
        if (!answer.has("is_compatible")) {
            throw unexpected("check compatibility with subject '" + subject + "'", answer);
        }
        return answer.path("is_compatible").asBoolean();
    }

    /** The compatibility level in force for {@code subject}: its own, or else the registry's global one. */
    public String compatibility(String subject) {
        try {
            JsonNode answer = send("GET", "/config/" + encode(subject), null,
                    "read the compatibility of subject '" + subject + "'");
            return level(answer, subject);
        } catch (SchemaRegistryException e) {
            if (!e.isNotFound()) {
                throw e;
            }
            return level(send("GET", "/config", null, "read the global compatibility"), "(global)");
        }
    }

    /** Sets the compatibility level of {@code subject}, e.g. {@code BACKWARD}, {@code FULL}, {@code NONE}. */
    public void setCompatibility(String subject, String level) {
        ObjectNode body = JSON.createObjectNode().put("compatibility", level);
        send("PUT", "/config/" + encode(subject), body.toString(),
                "set the compatibility of subject '" + subject + "' to " + level);
    }

    private static String level(JsonNode answer, String subject) {
        String level = answer.path("compatibilityLevel").asText(answer.path("compatibility").asText(null));
        if (level == null) {
            throw unexpected("read the compatibility of subject '" + subject + "'", answer);
        }
        return level;
    }

    private static String schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString()).toString();
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Sends one request, retrying connection errors, timeouts and 5xx answers; returns the parsed JSON answer. */
    private JsonNode send(String method, String path, String body, String what) {
        URI uri = URI.create(config.url() + path);
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                .timeout(config.requestTimeout())
                .header("Accept", CONTENT_TYPE + ", application/json");
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        if (body != null) {
            builder.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            builder.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpRequest request = builder.build();
        long backoff = config.retryBackoff().toMillis();
        for (int attempt = 1; ; attempt++) {
            boolean last = attempt >= config.maxAttempts();
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
                }
                if (status < 500 || last) {
                    throw failure(what, status, response.body());
                }
                LOG.warn("schema registry answered {} to '{}' (attempt {} of {}); trying again in {} ms",
                        status, what, attempt, config.maxAttempts(), backoff);
            } catch (IOException e) {
                if (last) {
                    throw new SchemaRegistryException("schema registry at " + config.url() + ": cannot " + what
                            + " after " + attempt + " attempt(s): " + e, 0, 0, e);
                }
                LOG.warn("schema registry at {} unreachable for '{}' (attempt {} of {}): {}; trying again in {} ms",
                        config.url(), what, attempt, config.maxAttempts(), e.toString(), backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException("schema registry: interrupted while trying to " + what, 0, 0, e);
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException("schema registry: interrupted while trying to " + what, 0, 0, e);
            }
            backoff = Math.min(backoff * 2, 10_000);
        }
    }

    private static SchemaRegistryException failure(String what, int status, String body) {
        int code = status;
        String message = body;
        try {
            JsonNode error = JSON.readTree(body);
            code = error.path("error_code").asInt(status);
            message = error.path("message").asText(body);
        } catch (IOException e) {
            // Not JSON (a proxy's error page, say): keep the raw text.
        }
        String shortMessage = message.length() > 500 ? message.substring(0, 500) + "..." : message;
        return new SchemaRegistryException("schema registry: cannot " + what + ": HTTP " + status + ", error "
                + code + ": " + shortMessage, status, code, null);
    }

    private static SchemaRegistryException unexpected(String what, JsonNode answer) {
        return new SchemaRegistryException("schema registry: unexpected answer to " + what + ": " + answer, 200, 0,
                null);
    }

    @Override
    public void close() {
        http.close();
    }
}
