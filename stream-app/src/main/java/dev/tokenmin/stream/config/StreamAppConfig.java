package dev.tokenmin.stream.config;

import dev.tokenmin.schemas.config.Settings;
import dev.tokenmin.stream.anomaly.AnomalyConfig;
import dev.tokenmin.stream.errors.DeadLetterHandlers;
import dev.tokenmin.stream.state.BoundedRocksDbMemory;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * Everything the stream app needs, typed and checked at start; built from properties or {@code TOKENMIN_*}
 * environment variables, with every problem reported at once.
 *
 * @param applicationId     the Kafka Streams application id (consumer group, internal topic prefix)
 * @param bootstrapServers  Kafka's {@code bootstrap.servers}
 * @param schemaRegistryUrl the Confluent-compatible registry
 * @param stateDir          where RocksDB keeps state (a persistent volume, never a temp folder)
 * @param stateMemoryMb     the memory outside the Java heap all RocksDB stores of this instance share: block cache,
 *                          index and filter blocks, memtables (default 256 MiB; 0: Kafka Streams' defaults, a cache
 *                          and memtables per store, unbounded in sum; see {@link BoundedRocksDbMemory})
 * @param topics            the topics ({@code topics.suffix}, if set, is appended to every name: a test run or a
 *                          staging environment sharing a cluster)
 * @param dedupHorizon      how long an event id is remembered to drop a duplicate (default 7 days)
 * @param grace             how late an event may arrive and still count in its window (default 1 hour)
 * @param spendFlush        how long the pricing side sums a busy scope's events before they go to the by-scope
 *                          topic (default 100 ms; 0: every event at once, six by-scope records per event): the wait
 *                          is part of a throttle decision's latency; the sums save most of the by-scope records
 * @param spendPublish      how often, at most, a changed scope's windows go to the spend topic (default 1 s): the
 *                          topic's freshness for its subscribers; budgets and the HTTP API read the stores, not it
 * @param kafka             further Kafka settings ({@code kafka.*}), security included
 * @param registry          further registry settings ({@code registry.*})
 * @param http              the HTTP API: interactive queries, budgets, health, metrics
 * @param anomaly           what anomaly detection watches and when it fires ({@code anomaly.*})
 * @param stallTimeout      how long Kafka Streams may stay in REBALANCING without any progress (no state change, no
 *                          task moved, nothing restored) before this instance stops, failed, for its supervisor to
 *                          start it again (default 5 minutes; 0: never)
 */
public record StreamAppConfig(String applicationId, String bootstrapServers, String schemaRegistryUrl, Path stateDir,
                              int stateMemoryMb, TopicNames topics, Duration dedupHorizon, Duration grace,
                              Duration spendFlush, Duration spendPublish, Map<String, String> kafka,
                              Map<String, String> registry, Http http, AnomalyConfig anomaly,
                              Duration stallTimeout) {

    /**
     * Where the HTTP API listens and how other instances reach it (Kafka Streams' {@code application.server}).
     *
     * @param host           the interface to listen on (default 127.0.0.1)
     * @param port           the port (default 8090; 0 picks a free one)
     * @param advertisedHost the host name other instances use (default: host)
     * @param adminToken     bearer token required to change budgets, or null when changes need none (document
     *                       why: the API is then only reachable by whom the network lets in)
     */
    public record Http(String host, int port, String advertisedHost, String adminToken) {

        @Override
        public String toString() {
            return "Http[host=" + host + ", port=" + port + ", advertisedHost=" + advertisedHost + ", adminToken="
                    + (adminToken == null ? "none" : "***") + "]";
        }
    }

    public static final String APPLICATION_ID = "application.id";
    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String STATE_DIR = "state.dir";
    public static final String STATE_MEMORY_MB = "state.memory.mb";
    public static final String DEDUP_HORIZON_HOURS = "dedup.horizon.hours";
    public static final String GRACE_SECONDS = "grace.seconds";
    public static final String SPEND_FLUSH_MS = "spend.flush.ms";
    public static final String SPEND_PUBLISH_MS = "spend.publish.ms";
    public static final String KAFKA_PREFIX = "kafka.";
    public static final String REGISTRY_PREFIX = "registry.";
    public static final String HTTP_HOST = "http.host";
    public static final String HTTP_PORT = "http.port";
    public static final String HTTP_ADVERTISED_HOST = "http.advertised.host";
    public static final String HTTP_ADMIN_TOKEN = "http.admin.token";
    public static final String TOPICS_SUFFIX = "topics.suffix";
    public static final String STALL_TIMEOUT_SECONDS = "stall.timeout.seconds";
    /** How long the stream threads' producer may block, a commit included, unless set (see streamsProperties). */
    static final int COMMIT_MAX_BLOCK_MS = 240_000;

    public static StreamAppConfig fromEnvironment(Map<String, String> env) {
        return fromProperties(Settings.fromEnvironment(env));
    }

    /** @throws IllegalArgumentException listing every key at fault */
    public static StreamAppConfig fromProperties(Map<String, String> props) {
        Settings s = new Settings(props);
        String bootstrap = s.required(BOOTSTRAP_SERVERS);
        String registry = s.required(SCHEMA_REGISTRY_URL);
        String stateDir = s.required(STATE_DIR);
        int stateMemoryMb = s.intBetween(STATE_MEMORY_MB, 256, 0, 1_048_576);
        long horizonHours = s.positiveLong(DEDUP_HORIZON_HOURS, 7 * 24);
        long graceSeconds = s.positiveLong(GRACE_SECONDS, 3_600);
        int spendFlushMs = s.intBetween(SPEND_FLUSH_MS, 100, 0, 60_000);
        int spendPublishMs = s.intBetween(SPEND_PUBLISH_MS, 1_000, 1, 3_600_000);
        int port = s.intBetween(HTTP_PORT, 8090, 0, 65_535);
        AnomalyConfig anomaly = AnomalyConfig.from(s);
        int stallSeconds = s.intBetween(STALL_TIMEOUT_SECONDS, 300, 0, 86_400);
        s.throwIfAny("stream app configuration");
        String host = s.string(HTTP_HOST, "127.0.0.1");
        String token = s.string(HTTP_ADMIN_TOKEN, null);
        String suffix = s.string(TOPICS_SUFFIX, "");
        Http http = new Http(host, port, s.string(HTTP_ADVERTISED_HOST, host),
                token == null || token.isBlank() ? null : token);
        return new StreamAppConfig(s.string(APPLICATION_ID, "tokenmin-stream"), bootstrap, registry, Path.of(stateDir),
                stateMemoryMb, TopicNames.DEFAULT.withSuffix(suffix), Duration.ofHours(horizonHours),
                Duration.ofSeconds(graceSeconds), Duration.ofMillis(spendFlushMs), Duration.ofMillis(spendPublishMs),
                s.prefixed(KAFKA_PREFIX), s.prefixed(REGISTRY_PREFIX), http, anomaly, Duration.ofSeconds(stallSeconds));
    }

    public StreamAppConfig withTopics(TopicNames names) {
        return new StreamAppConfig(applicationId, bootstrapServers, schemaRegistryUrl, stateDir, stateMemoryMb, names,
                dedupHorizon, grace, spendFlush, spendPublish, kafka, registry, http, anomaly, stallTimeout);
    }

    public StreamAppConfig withApplicationId(String id) {
        return new StreamAppConfig(id, bootstrapServers, schemaRegistryUrl, stateDir, stateMemoryMb, topics,
                dedupHorizon, grace, spendFlush, spendPublish, kafka, registry, http, anomaly, stallTimeout);
    }

    /**
     * The Kafka Streams settings: exactly-once v2, explicit names for every internal topic and store, no default
     * serdes, and dead-letter handlers for records that cannot be read or are invalid.
     */
    public Properties streamsProperties() {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, topics.deadLetters());
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                DeadLetterHandlers.Deserialization.class.getName());
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Processing.class.getName());
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true); // the default from Kafka 5.0 on
        // Kafka Streams 4.3 builds a second StreamsConfig from the main consumer's settings (its partition
        // assignor), which do not carry the setting above, and that one warns at every start that the handler is
        // not enabled for the global thread. Passed to the main consumer too, the warning is not logged.
        p.put(StreamsConfig.mainConsumerPrefix(
                StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG), true);
        p.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        // The usage task that also reads the budgets topic's one partition (they meet in one sub-topology before the
        // by-scope repartition) would otherwise, for every record while that partition is empty, check its lag and
        // format a log text of it (Kafka Streams 4.3 builds it before knowing whether it logs): 3% of the stream
        // thread in a profile at 500 events/s. Budget changes need no ordering by event time against usage: they apply
        // when read. kafka.max.task.idle.ms overrides it.
        p.putIfAbsent(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
        // Every instance counts as caught up, so a task stays with (or goes straight to) its owner, which restores it
        // from the changelog, and no warm-up replicas are made. With the default (10,000 records), after an
        // instance was fenced as a zombie, Kafka Streams 4.3.1 kept moving tasks it found corrupted (no checkpoint,
        // under exactly-once) between instances that each held an unusable copy, a rebalance each time: hundreds of
        // rebalances and no progress for minutes in 3 of 4 runs of faults/FaultSuiteIT's zombie scenario; with this,
        // 5 of 5 settled within seconds (5-7 rebalances per instance). The price: a task that moves pauses while its
        // new owner restores it (seconds at tokenmin's state sizes; see docs/benchmarks.md).
        // kafka.acceptable.recovery.lag overrides it.
        p.putIfAbsent(StreamsConfig.ACCEPTABLE_RECOVERY_LAG_CONFIG, Long.MAX_VALUE);
        // A commit waits out a broker outage rather than giving up after the producer's default minute. Under
        // exactly-once, Kafka Streams 4.3 turns a commit that timed out on the client into TaskCorruptedException:
        // it commits the other tasks in the same open transaction, then closes the tasks that had offsets dirty and
        // restores them. The one run of faults/FaultSuiteIT's broker-kill scenario (of 8 kept on this machine) that
        // lost spend (21 events' worth, in the by-scope tasks' state, while ClickHouse held all) went down that path:
        // a commit's offsets failed to reach a coordinator for 60 s while the broker flapped; no passing run had it.
        // Waiting instead, the commit ends either committed or fenced (the broker aborts a transaction open longer
        // than transaction.timeout.ms), and a fenced thread closes and restores all its tasks: paths the other fault
        // scenarios exercise. Four minutes keeps Kafka Streams' rule max.poll.interval.ms (five) > max.block.ms; a
        // deployment that lowers kafka.max.poll.interval.ms lowers this too, with kafka.max.block.ms or
        // kafka.producer.max.block.ms (docs/faults.md).
        if (!p.containsKey(ProducerConfig.MAX_BLOCK_MS_CONFIG)
                && !p.containsKey(StreamsConfig.producerPrefix(ProducerConfig.MAX_BLOCK_MS_CONFIG))) {
            p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_BLOCK_MS_CONFIG), COMMIT_MAX_BLOCK_MS);
        }
        // One memory budget for all RocksDB stores, unless the deployment brings its own kafka.rocksdb.config.setter.
        if (stateMemoryMb > 0 && !p.containsKey(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG)) {
            p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class.getName());
            p.put(BoundedRocksDbMemory.BUDGET_BYTES, (long) stateMemoryMb << 20);
        }
        return p;
    }
}
