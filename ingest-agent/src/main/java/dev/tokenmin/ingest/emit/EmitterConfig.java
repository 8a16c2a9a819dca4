package dev.tokenmin.ingest.emit;

import dev.tokenmin.ingest.privacy.LabelFilter;
import dev.tokenmin.ingest.spool.SpoolConfig;
import dev.tokenmin.schemas.Topics;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Everything a {@link UsageEmitter} needs, typed and checked at start: where Kafka and the registry are, Kafka
 * client settings (security included), the spool and its durability, and the privacy settings. Built from
 * properties (or environment variables: {@code TOKENMIN_SPOOL_DIR} for {@code spool.dir}); every problem is
 * reported at once with its key.
 *
 * @param bootstrapServers  Kafka's {@code bootstrap.servers}
 * @param schemaRegistryUrl the Confluent-compatible registry's URL
 * @param kafka             further Kafka client settings, e.g. {@code security.protocol}, {@code sasl.mechanism},
 *                          {@code sasl.jaas.config}, {@code ssl.truststore.location} (keys {@code kafka.*})
 * @param registry          further registry settings, e.g. {@code basic.auth.user.info} (keys {@code registry.*})
 * @param topic             the usage topic
 * @param throttleTopic     the throttle-decision topic the throttle view reads
 * @param spool             the spool
 * @param userIdHashKey     the HMAC key for user ids, or null to pass user ids as they are
 * @param allowedLabels     labels that may leave the gateway
 * @param shutdownDrain     how long closing waits for Kafka to take what is spooled
 */
public record EmitterConfig(String bootstrapServers, String schemaRegistryUrl, Map<String, String> kafka,
                            Map<String, String> registry, String topic, String throttleTopic, SpoolConfig spool, byte[] userIdHashKey,
                            Set<String> allowedLabels, Duration shutdownDrain) {

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String TOPIC = "topic";
    public static final String THROTTLE_TOPIC = "throttle.topic";
    public static final String SPOOL_DIR = "spool.dir";
    public static final String SPOOL_DURABILITY = "spool.durability";
    public static final String SPOOL_FSYNC_MAX_DELAY_MS = "spool.fsync.max.delay.ms";
    public static final String SPOOL_MAX_BYTES = "spool.max.bytes";
    public static final String SPOOL_SEGMENT_BYTES = "spool.segment.bytes";
    public static final String SPOOL_OVERFLOW = "spool.overflow";
    public static final String SPOOL_BLOCK_TIMEOUT_MS = "spool.block.timeout.ms";
    public static final String USER_ID_HASH_KEY = "privacy.user.id.hash.key";
    public static final String ALLOWED_LABELS = "privacy.labels.allowed";
    public static final String SHUTDOWN_DRAIN_MS = "shutdown.drain.ms";
    public static final String KAFKA_PREFIX = "kafka.";
    public static final String REGISTRY_PREFIX = "registry.";

    /** Never prints the hash key or credentials. */
    @Override
    public String toString() {
        return "EmitterConfig[bootstrapServers=" + bootstrapServers + ", schemaRegistryUrl=" + schemaRegistryUrl
                + ", kafka=" + kafka.keySet() + ", topic=" + topic + ", throttleTopic=" + throttleTopic + ", spool=" + spool.directory() + " ("
                + spool.durability() + ", " + spool.overflow() + "), userIdHashing=" + (userIdHashKey != null)
                + ", allowedLabels=" + allowedLabels + "]";
    }

    /** Reads environment variables: {@code TOKENMIN_SPOOL_DIR} becomes {@code spool.dir}, and so on. */
    public static EmitterConfig fromEnvironment(Map<String, String> env) {
        return fromProperties(propertiesOf(env));
    }

    /**
     * The properties that {@code TOKENMIN_*} environment variables stand for: {@code TOKENMIN_SPOOL_DIR} is
     * {@code spool.dir}. Other variables are ignored.
     */
    public static Map<String, String> propertiesOf(Map<String, String> env) {
        Map<String, String> props = new HashMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("TOKENMIN_")) {
                props.put(k.substring("TOKENMIN_".length()).toLowerCase(Locale.ROOT).replace('_', '.'), v);
            }
        });
        return props;
    }

    /** Reads properties; @throws IllegalArgumentException listing every key at fault. */
    public static EmitterConfig fromProperties(Map<String, String> props) {
        List<String> errors = new ArrayList<>();
        String bootstrap = required(props, BOOTSTRAP_SERVERS, errors);
        String registryUrl = required(props, SCHEMA_REGISTRY_URL, errors);
        String spoolDir = required(props, SPOOL_DIR, errors);
        SpoolConfig defaults = SpoolConfig.defaults(Path.of(spoolDir == null ? "." : spoolDir));
        SpoolConfig.Durability durability = enumOf(props, SPOOL_DURABILITY, SpoolConfig.Durability.class,
                defaults.durability(), errors);
        SpoolConfig.Overflow overflow = enumOf(props, SPOOL_OVERFLOW, SpoolConfig.Overflow.class, defaults.overflow(),
                errors);
        long fsyncMs = positive(props, SPOOL_FSYNC_MAX_DELAY_MS, defaults.fsyncMaxDelay().toMillis(), errors);
        long maxBytes = positive(props, SPOOL_MAX_BYTES, defaults.maxBytes(), errors);
        long segmentBytes = positive(props, SPOOL_SEGMENT_BYTES, Math.min(defaults.segmentBytes(), maxBytes), errors);
        long blockMs = positive(props, SPOOL_BLOCK_TIMEOUT_MS, defaults.blockTimeout().toMillis(), errors);
        long drainMs = positive(props, SHUTDOWN_DRAIN_MS, 10_000, errors);
        byte[] hashKey = null;
        String rawKey = props.get(USER_ID_HASH_KEY);
        if (rawKey != null && !rawKey.isBlank()) {
            try {
                hashKey = Base64.getDecoder().decode(rawKey.strip());
                if (hashKey.length < 32) {
                    errors.add(USER_ID_HASH_KEY + ": must decode to at least 32 bytes, was " + hashKey.length);
                }
            } catch (IllegalArgumentException e) {
                errors.add(USER_ID_HASH_KEY + ": not base64");
            }
        }
        Set<String> labels = props.containsKey(ALLOWED_LABELS)
                ? Arrays.stream(props.get(ALLOWED_LABELS).split(",")).map(String::strip).filter(s -> !s.isEmpty())
                        .collect(Collectors.toUnmodifiableSet())
                : LabelFilter.DEFAULT_ALLOWED;
        SpoolConfig spool = null;
        if (errors.isEmpty()) {
            try {
                spool = new SpoolConfig(Path.of(spoolDir), segmentBytes, maxBytes, defaults.maxRecordBytes() > segmentBytes
                        ? (int) segmentBytes : defaults.maxRecordBytes(), durability, Duration.ofMillis(fsyncMs),
                        overflow, Duration.ofMillis(blockMs));
            } catch (IllegalArgumentException e) {
                errors.add(e.getMessage());
            }
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("emitter configuration: " + String.join("; ", errors));
        }
        return new EmitterConfig(bootstrap, registryUrl, prefixed(props, KAFKA_PREFIX), prefixed(props, REGISTRY_PREFIX),
                props.getOrDefault(TOPIC, Topics.USAGE), props.getOrDefault(THROTTLE_TOPIC, Topics.THROTTLE), spool,
                hashKey, labels, Duration.ofMillis(drainMs));
    }

    private static Map<String, String> prefixed(Map<String, String> props, String prefix) {
        Map<String, String> out = new HashMap<>();
        props.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return Map.copyOf(out);
    }

    private static String required(Map<String, String> props, String key, List<String> errors) {
        String v = props.get(key);
        if (v == null || v.isBlank()) {
            errors.add(key + ": missing");
            return null;
        }
        return v.strip();
    }

    private static long positive(Map<String, String> props, String key, long defaultValue, List<String> errors) {
        String v = props.get(key);
        if (v == null || v.isBlank()) {
            return defaultValue;
        }
        try {
            long n = Long.parseLong(v.strip());
            if (n <= 0) {
                errors.add(key + ": must be positive, was " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            errors.add(key + ": not a number: \"" + v + "\"");
            return defaultValue;
        }
    }

    private static <E extends Enum<E>> E enumOf(Map<String, String> props, String key, Class<E> type, E defaultValue,
                                                List<String> errors) {
        String v = props.get(key);
        if (v == null || v.isBlank()) {
            return defaultValue;
        }
        try {
            return Enum.valueOf(type, v.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            errors.add(key + ": one of " + Arrays.stream(type.getEnumConstants()).map(c -> c.name().toLowerCase(Locale.ROOT))
                    .toList() + ", was \"" + v + "\"");
            return defaultValue;
        }
    }
}
