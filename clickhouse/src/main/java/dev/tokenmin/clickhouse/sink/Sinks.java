package dev.tokenmin.clickhouse.sink;

import com.clickhouse.client.api.Client;
import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.schemas.Topics;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.avro.specific.SpecificRecord;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The four sinks a ledger needs, each on its own thread: priced events → {@code usage_events}, alerts →
 * {@code alerts}, throttle decisions → {@code throttle_decisions}, prices → {@code prices}. Each has its consumer
 * group {@code <groupPrefix>-<table>}, so a table's progress never waits for another's.
 */
public final class Sinks implements AutoCloseable {

    /** The topics copied; {@link #DEFAULT} are {@link Topics}' names. */
    public record SourceTopics(String priced, String alerts, String throttle, String prices) {
        public static final SourceTopics DEFAULT = new SourceTopics(Topics.USAGE_PRICED, Topics.ALERTS,
                Topics.THROTTLE, Topics.PRICES);
    }

    /**
     * @param database    the database
     * @param tableSuffix appended to each table name ({@code _all}: the Distributed tables of a cluster)
     * @param groupPrefix consumer groups are {@code <groupPrefix>-<table>}
     * @param maxRows     rows per batch
     * @param maxAge      how long a batch may wait for more rows
     */
    public record Target(String database, String tableSuffix, String groupPrefix, int maxRows, Duration maxAge) {

        /** Rows per batch unless configured ({@code sink.batch.rows}). */
        public static final int DEFAULT_MAX_ROWS = 50_000;

        /**
         * How long a batch waits for more rows unless configured ({@code sink.batch.ms}): 2 s. Every insert makes a
         * new part in {@code usage_events}, in each rollup and in its projection, which ClickHouse then merges; with
         * a batch per partition, that cost is per batch rather than per row. Measured end to end at 3,000 events/s
         * on two cores (docs/benchmarks.md), ClickHouse used 0.37 cores with batches of 500 ms, 0.31 with 1 s,
         * 0.17-0.20 with 2 s and 0.14 with 5 s; the ledger is that much later, which its readers (reports, not
         * decisions) bear.
         */
        public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(2);

        /** The default batch limits, for the given database, table suffix and consumer group prefix. */
        public static Target withDefaultBatches(String database, String tableSuffix, String groupPrefix) {
            return new Target(database, tableSuffix, groupPrefix, DEFAULT_MAX_ROWS, DEFAULT_MAX_AGE);
        }
    }

    private final List<TopicSink<?>> sinks;
    private final List<Thread> threads;

    private Sinks(List<TopicSink<?>> sinks) {
        this.sinks = sinks;
        this.threads = sinks.stream().map(sink -> Thread.ofPlatform().name("sink").unstarted(sink)).toList();
    }

    /**
     * Starts the sinks. The tables must exist (run the migrations first).
     *
     * @param kafka consumer settings: bootstrap servers, security
     */
    public static Sinks start(Client client, SchemaRegistryClient registry, Map<String, Object> kafka,
                              SourceTopics topics, Target target) {
        Sinks s = new Sinks(List.of(
                sink(client, topics.priced(), target, "usage_events", kafka,
                        ConfluentAvroSerde.of(PricedUsage.class, registry, false), new UsageRows()),
                sink(client, topics.alerts(), target, "alerts", kafka,
                        ConfluentAvroSerde.of(Alert.class, registry, false),
                        rowBinary(client, target, "alerts", AuditRows::alert)),
                sink(client, topics.throttle(), target, "throttle_decisions", kafka,
                        ConfluentAvroSerde.of(ThrottleDecision.class, registry, false),
                        rowBinary(client, target, "throttle_decisions", AuditRows::decision)),
                sink(client, topics.prices(), target, "prices", kafka,
                        ConfluentAvroSerde.of(PriceEntry.class, registry, false),
                        rowBinary(client, target, "prices", AuditRows::price))));
        s.threads.forEach(Thread::start);
        return s;
    }

    private static <V extends SpecificRecord> TopicSink<V> sink(Client client, String topic, Target target,
                                                                String table, Map<String, Object> kafka,
                                                                ConfluentAvroSerde<V> serde,
                                                                BatchEncoder<V> rows) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put("group.id", target.groupPrefix() + "-" + table);
        return new TopicSink<>(client, new TopicSink.Settings(topic, target.database(), table + target.tableSuffix(),
                target.maxRows(), target.maxAge()), props, serde.deserializer(), rows);
    }

    private static <V> BatchEncoder<V> rowBinary(Client client, Target target, String table,
                                                 TopicSink.RowWriter<V> rows) {
        return TopicSink.rowBinary(client, target.database(), table + target.tableSuffix(), rows);
    }

    /** Binds each sink's meters (see {@link TopicSink#bindTo}). */
    public void bindTo(MeterRegistry meters) {
        sinks.forEach(sink -> sink.bindTo(meters));
    }

    /** Whether every sink thread still runs (one that stopped on an error has logged why). */
    public boolean alive() {
        return threads.stream().allMatch(Thread::isAlive);
    }

    /** Rows inserted and committed, over all tables. */
    public long rows() {
        return sinks.stream().mapToLong(sink -> sink.counts().rows().get()).sum();
    }

    /** Rows inserted and committed into the priced-events table. */
    public long usageRows() {
        return sinks.getFirst().counts().rows().get();
    }

    /** Stops every sink after its current batch and waits up to {@code timeout} for them. */
    public void stop(Duration timeout) throws InterruptedException {
        sinks.forEach(TopicSink::close);
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : threads) {
            t.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        }
    }

    @Override
    public void close() {
        try {
            stop(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
