package dev.tokenmin.ingest.emit;

import dev.tokenmin.ingest.privacy.LabelFilter;
import dev.tokenmin.ingest.spool.SpoolConfig;
import dev.tokenmin.schemas.Topics;
import dev.tokenmin.schemas.config.Settings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
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
        return fromProperties(Settings.fromEnvironment(env));
    }

    /** Reads properties; @throws IllegalArgumentException listing every key at fault. */
    public static EmitterConfig fromProperties(Map<String, String> props) {
        Settings settings = new Settings(props);
        String bootstrap = settings.required(BOOTSTRAP_SERVERS);
        String registryUrl = settings.required(SCHEMA_REGISTRY_URL);
        String spoolDir = settings.required(SPOOL_DIR);
        SpoolConfig defaults = SpoolConfig.defaults(Path.of(spoolDir == null ? "." : spoolDir));
        SpoolConfig.Durability durability = settings.oneOf(SPOOL_DURABILITY, SpoolConfig.Durability.class,
                defaults.durability());
        SpoolConfig.Overflow overflow = settings.oneOf(SPOOL_OVERFLOW, SpoolConfig.Overflow.class, defaults.overflow());
        long fsyncMs = settings.positiveLong(SPOOL_FSYNC_MAX_DELAY_MS, defaults.fsyncMaxDelay().toMillis());
        long maxBytes = settings.positiveLong(SPOOL_MAX_BYTES, defaults.maxBytes());
        long segmentBytes = settings.positiveLong(SPOOL_SEGMENT_BYTES, Math.min(defaults.segmentBytes(), maxBytes));
        long blockMs = settings.positiveLong(SPOOL_BLOCK_TIMEOUT_MS, defaults.blockTimeout().toMillis());
        long drainMs = settings.positiveLong(SHUTDOWN_DRAIN_MS, 10_000);
        byte[] hashKey = null;
        String rawKey = settings.string(USER_ID_HASH_KEY);
        if (rawKey != null) {
            try {
                hashKey = Base64.getDecoder().decode(rawKey);
                if (hashKey.length < 32) {
                    settings.error(USER_ID_HASH_KEY + ": must decode to at least 32 bytes, was " + hashKey.length);
                }
            } catch (IllegalArgumentException e) {
                settings.error(USER_ID_HASH_KEY + ": not base64");
            }
        }
        Set<String> labels = props.containsKey(ALLOWED_LABELS)
                ? Arrays.stream(props.get(ALLOWED_LABELS).split(",")).map(String::strip).filter(s -> !s.isEmpty())
                        .collect(Collectors.toUnmodifiableSet())
                : LabelFilter.DEFAULT_ALLOWED;
        SpoolConfig spool = null;
        if (!settings.hasErrors()) {
            try {
                spool = new SpoolConfig(Path.of(spoolDir), segmentBytes, maxBytes, defaults.maxRecordBytes() > segmentBytes
                        ? (int) segmentBytes : defaults.maxRecordBytes(), durability, Duration.ofMillis(fsyncMs),
                        overflow, Duration.ofMillis(blockMs));
            } catch (IllegalArgumentException e) {
                settings.error(e.getMessage());
            }
        }
        settings.throwIfAny("emitter configuration");
        return new EmitterConfig(bootstrap, registryUrl, settings.prefixed(KAFKA_PREFIX),
                settings.prefixed(REGISTRY_PREFIX), settings.string(TOPIC, Topics.USAGE),
                settings.string(THROTTLE_TOPIC, Topics.THROTTLE), spool, hashKey, labels, Duration.ofMillis(drainMs));
    }
}
