package dev.tokenmin.schemas.registry;

import dev.tokenmin.schemas.config.Settings;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How to reach a Confluent-compatible schema registry. Built from the property names Confluent's clients use, so
 * a producer's existing configuration works unchanged; every problem is reported at once, each with its key.
 *
 * @param url            base URL of the registry's Confluent API, e.g. {@code http://host:8081} or Apicurio's
 *                       {@code http://host:8080/apis/ccompat/v7}; {@code https} uses the JVM's trust store
 * @param connectTimeout how long to wait for a connection
 * @param requestTimeout how long to wait for an answer
 * @param maxAttempts    attempts per request; connection errors, timeouts and 5xx answers are tried again
 * @param retryBackoff   wait before the second attempt, doubled for each further one
 * @param basicUserInfo  {@code user:password} for HTTP basic authentication, or null
 * @param bearerToken    a bearer token, or null (at most one of the two)
 */
public record SchemaRegistryConfig(URI url, Duration connectTimeout, Duration requestTimeout, int maxAttempts,
                                   Duration retryBackoff, String basicUserInfo, String bearerToken) {

    public static final String URL = "schema.registry.url";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String BEARER_AUTH_TOKEN = "bearer.auth.token";
    public static final String CONNECT_TIMEOUT_MS = "schema.registry.connect.timeout.ms";
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    public static final String MAX_ATTEMPTS = "schema.registry.max.attempts";
    public static final String RETRY_BACKOFF_MS = "schema.registry.retry.backoff.ms";

    public SchemaRegistryConfig {
        Objects.requireNonNull(url, URL);
        Objects.requireNonNull(connectTimeout, CONNECT_TIMEOUT_MS);
        Objects.requireNonNull(requestTimeout, REQUEST_TIMEOUT_MS);
        Objects.requireNonNull(retryBackoff, RETRY_BACKOFF_MS);
    }

    /** A registry at {@code url} with the defaults: 5 s to connect, 10 s per answer, 3 attempts from 100 ms. */
    public static SchemaRegistryConfig of(String url) {
        return fromProperties(Map.of(URL, url));
    }

    /**
     * Reads the configuration from Kafka-style properties.
     *
     * @throws IllegalArgumentException listing every key at fault
     */
    public static SchemaRegistryConfig fromProperties(Map<String, ?> props) {
        Settings settings = new Settings(props);
        URI url = null;
        String rawUrl = settings.required(URL);
        if (rawUrl != null) {
            // Confluent allows a comma-separated list; this client uses the first URL.
            String first = rawUrl.split(",")[0].strip();
            try {
                url = URI.create(first.endsWith("/") ? first.substring(0, first.length() - 1) : first);
                if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
                    settings.error(URL + ": must be an http or https URL, was \"" + first + "\"");
                }
            } catch (IllegalArgumentException e) {
                settings.error(URL + ": not a URL: \"" + first + "\"");
            }
        }
        long connectMs = settings.positiveLong(CONNECT_TIMEOUT_MS, 5_000);
        long requestMs = settings.positiveLong(REQUEST_TIMEOUT_MS, 10_000);
        long attempts = settings.positiveLong(MAX_ATTEMPTS, 3);
        long backoffMs = settings.positiveLong(RETRY_BACKOFF_MS, 100);
        String userInfo = settings.string(BASIC_AUTH_USER_INFO);
        String token = settings.string(BEARER_AUTH_TOKEN);
        if (userInfo != null && !userInfo.contains(":")) {
            settings.error(BASIC_AUTH_USER_INFO + ": must be user:password");
        }
        if (userInfo != null && token != null) {
            settings.error(BASIC_AUTH_USER_INFO + " and " + BEARER_AUTH_TOKEN + ": set one, not both");
        }
        settings.throwIfAny("schema registry configuration");
        return new SchemaRegistryConfig(url, Duration.ofMillis(connectMs), Duration.ofMillis(requestMs),
                (int) Math.min(attempts, 100), Duration.ofMillis(backoffMs), userInfo, token);
    }

    /** Never prints credentials. */
    @Override
    public String toString() {
        return "SchemaRegistryConfig[url=" + url + ", connectTimeout=" + connectTimeout + ", requestTimeout="
                + requestTimeout + ", maxAttempts=" + maxAttempts + ", auth="
                + (basicUserInfo != null ? "basic" : bearerToken != null ? "bearer" : "none") + "]";
    }
}
