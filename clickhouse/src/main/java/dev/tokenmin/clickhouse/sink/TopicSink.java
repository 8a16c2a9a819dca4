package dev.tokenmin.clickhouse.sink;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.data_formats.RowBinaryFormatWriter;
import com.clickhouse.client.api.insert.InsertResponse;
import com.clickhouse.client.api.insert.InsertSettings;
import com.clickhouse.client.api.metadata.TableSchema;
import com.clickhouse.data.ClickHouseFormat;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Copies one topic into one ClickHouse table, exactly once (the priced topic into {@code usage_events}, alerts into
 * {@code alerts}, throttle decisions into {@code throttle_decisions}). Batches form per partition, by size and age
 * (defaults 50,000 rows or 1 s). For a batch of offsets {@code [a, b]} the sink first commits offset {@code a}
 * with the metadata {@code batch-end=b} (its intent), then inserts the rows as one body (RowBinary, or Native for
 * {@link UsageRows}) with the deduplication token {@code <topic>-<partition>-<a>-<b>}, then commits {@code b + 1}.
 * After a crash anywhere in between, the next owner of the partition reads the intent, forms exactly the same batch
 * again, and ClickHouse drops the repeated block by its token (in the table and, with
 * {@code deduplicate_blocks_in_dependent_materialized_views}, in the rollups). While ClickHouse is away the insert
 * is retried with backoff and nothing is committed.
 */
public final class TopicSink<V> implements Runnable, AutoCloseable {

    /** Writes one record as one row; a record may be a tombstone (null value). */
    @FunctionalInterface
    public interface RowWriter<V> {
        void write(RowBinaryFormatWriter w, ConsumerRecord<String, V> record) throws IOException;
    }

    static final String INTENT = "batch-end=";
    private static final Logger LOG = LoggerFactory.getLogger(TopicSink.class);

    /**
     * @param topic     the topic
     * @param table     the table
     * @param database  its database
     * @param maxRows   rows per batch
     * @param maxAge    how long a batch may wait for more rows
     */
    public record Settings(String topic, String database, String table, int maxRows, Duration maxAge) {
    }

    /** Rows inserted, batches inserted, failed insert tries, and the time from a batch's start to its commit. */
    public record Counts(AtomicLong rows, AtomicLong batches, AtomicLong retries, AtomicLong lastBatchMs) {
    }

    private final Client client;
    private final Settings settings;
    private final KafkaConsumer<String, V> consumer;
    private final BatchEncoder<V> encoder;
    private final Map<TopicPartition, Batch> batches = new HashMap<>();
    /** Batch ends a previous owner committed as intents, by partition, until their batch is formed again. */
    private final Map<TopicPartition, Long> intents = new HashMap<>();
    private final Counts counts = new Counts(new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong());
    private volatile boolean stopping;
    /** Test hook: runs after an insert and before its commit (to simulate a crash there). */
    private volatile Runnable afterInsert = () -> { };

    private final class Batch {
        final long first;
        final Long intendedEnd;
        final long startedAt = System.nanoTime();
        final BatchEncoder.Block<V> block = encoder.newBlock();
        int rows;
        long last;

        Batch(long first, Long intendedEnd) {
            this.first = first;
            this.intendedEnd = intendedEnd;
        }
    }

    /**
     * A sink writing each record through {@code rows}, in RowBinary.
     *
     * @param kafka consumer settings: bootstrap servers, {@code group.id}, security
     */
    public TopicSink(Client client, Settings settings, Map<String, Object> kafka, Deserializer<V> values,
                     RowWriter<V> rows) {
        this(client, settings, kafka, values, rowBinary(client, settings.database(), settings.table(), rows));
    }

    /**
     * A sink writing each batch as {@code encoder} encodes it.
     *
     * @param kafka consumer settings: bootstrap servers, {@code group.id}, security
     */
    public TopicSink(Client client, Settings settings, Map<String, Object> kafka, Deserializer<V> values,
                     BatchEncoder<V> encoder) {
        this.client = client;
        this.encoder = encoder;
        this.settings = settings;
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
        props.putIfAbsent(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 600_000);
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), values);
    }

    public Counts counts() {
        return counts;
    }

    /**
     * Binds its meters: {@code tokenmin.sink.rows}, {@code .batches}, {@code .retries} and
     * {@code .batch.latency.ms} tagged by table, and its consumer's metrics (records-lag-max among them).
     */
    public void bindTo(MeterRegistry meters) {
        Tags table = Tags.of("table", settings.table());
        FunctionCounter.builder("tokenmin.sink.rows", counts.rows(), AtomicLong::get).tags(table)
                .description("rows inserted and committed").register(meters);
        FunctionCounter.builder("tokenmin.sink.batches", counts.batches(), AtomicLong::get).tags(table)
                .register(meters);
        FunctionCounter.builder("tokenmin.sink.retries", counts.retries(), AtomicLong::get).tags(table)
                .description("failed insert tries").register(meters);
        Gauge.builder("tokenmin.sink.batch.latency.ms", counts.lastBatchMs(), AtomicLong::get).tags(table)
                .description("the last batch, from its first record to its commit").register(meters);
        new KafkaClientMetrics(consumer, table).bindTo(meters);
    }

    /**
     * For fault tests: {@code hook} runs after each insert and before its offsets are committed; one that throws ends
     * {@link #run()} there, as a crash between insert and commit would (nothing committed, the consumer not closed).
     */
    public void afterInsert(Runnable hook) {
        this.afterInsert = hook;
    }

    @Override
    public void run() {
        consumer.subscribe(List.of(settings.topic()), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                partitions.forEach(tp -> {
                    batches.remove(tp); // uncommitted: the next owner reads them again
                    intents.remove(tp);
                });
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                consumer.committed(new HashSet<>(partitions)).forEach((tp, om) -> {
                    if (om != null && om.metadata() != null && om.metadata().startsWith(INTENT)) {
                        intents.put(tp, Long.parseLong(om.metadata().substring(INTENT.length())));
                    }
                });
            }
        });
        try {
            while (!stopping) {
                for (ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(200))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    Batch b = batches.computeIfAbsent(tp, k -> new Batch(r.offset(), intents.remove(k)));
                    b.block.add(r);
                    b.rows++;
                    b.last = r.offset();
                    if (b.intendedEnd != null ? r.offset() >= b.intendedEnd : b.rows >= settings.maxRows()) {
                        flush(tp);
                    }
                }
                for (TopicPartition tp : new ArrayList<>(batches.keySet())) {
                    Batch b = batches.get(tp);
                    if (b.intendedEnd == null && System.nanoTime() - b.startedAt >= settings.maxAge().toNanos()) {
                        flush(tp);
                    }
                }
            }
        } catch (WakeupException e) {
            if (!stopping) {
                throw e;
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void flush(TopicPartition tp) {
        Batch b = batches.remove(tp);
        String token = tp.topic() + "-" + tp.partition() + "-" + b.first + "-" + b.last;
        try {
            if (b.intendedEnd == null) {
                consumer.commitSync(Map.of(tp, new OffsetAndMetadata(b.first, INTENT + b.last)));
            }
            insert(b.block.toBytes(), b.rows, token);
            afterInsert.run();
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(b.last + 1, "")));
        } catch (CommitFailedException e) {
            // The partition moved to another sink during this batch; it re-forms the batch from the intent.
            LOG.warn("batch {} not committed: the partition was reassigned; its new owner repeats it under the same "
                    + "token", token);
            return;
        }
        counts.rows().addAndGet(b.rows);
        counts.batches().incrementAndGet();
        counts.lastBatchMs().set((System.nanoTime() - b.startedAt) / 1_000_000);
    }

    private void insert(byte[] data, int rows, String token) {
        // optimize_on_insert=0: ClickHouse would otherwise collapse each block by its sort key as it writes it
        // (ReplacingMergeTree, SummingMergeTree): work the background merges do again, and nothing relies on it,
        // since rows of one key in different batches meet only in merges anyway, so the views sum the rollups and
        // read usage_events with FINAL. It was half of the engine's CPU per insert (docs/benchmarks.md).
        InsertSettings insert = new InsertSettings().setDatabase(settings.database()).setDeduplicationToken(token)
                .serverSetting("deduplicate_blocks_in_dependent_materialized_views", "1")
                .serverSetting("optimize_on_insert", "0");
        if (encoder.format() == ClickHouseFormat.Native) {
            // client-v2 0.11's LZ4 request stream gives each compressed block only 25 bytes more than its input, while
            // LZ4 may need size/255 + 16 more for incompressible input; a Native block has such runs (the event_id
            // column is 16 random bytes a row) and fails with "maxDestLen is too small". Native blocks go
            // uncompressed: about 200 bytes a row, 30 MB/s at 150,000 rows/s.
            insert.compressClientRequest(false);
        }
        long backoffMs = 200;
        while (true) {
            try {
                InsertResponse response = client.insert(settings.table(), new ByteArrayInputStream(data),
                        encoder.format(), insert).get(120, TimeUnit.SECONDS);
                response.close();
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while inserting " + token, e);
            } catch (Exception e) {
                counts.retries().incrementAndGet();
                LOG.warn("insert of batch {} ({} rows) failed: {}; retrying in {} ms", token, rows,
                        reason(e), backoffMs);
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while inserting " + token, ie);
                }
                backoffMs = Math.min(backoffMs * 2, 10_000);
                if (stopping) {
                    throw new IllegalStateException("stopped before batch " + token + " was inserted");
                }
            }
        }
    }

    /** The first line of each distinct message along the cause chain: the client's wrapper and what it wraps. */
    private static String reason(Throwable e) {
        StringBuilder out = new StringBuilder();
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            String line = t.getMessage() == null ? t.getClass().getSimpleName()
                    : t.getMessage().lines().findFirst().orElse("");
            if (out.indexOf(line) < 0) {
                out.append(out.isEmpty() ? "" : ": ").append(line);
            }
        }
        return out.toString();
    }

    /** Each record written by {@code rows} as one RowBinary row of {@code database.table} (its schema read now). */
    public static <V> BatchEncoder<V> rowBinary(Client client, String database, String table, RowWriter<V> rows) {
        TableSchema schema = client.getTableSchema(table, database);
        return new BatchEncoder<>() {
            @Override
            public ClickHouseFormat format() {
                return ClickHouseFormat.RowBinary;
            }

            @Override
            public Block<V> newBlock() {
                ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
                RowBinaryFormatWriter w = new RowBinaryFormatWriter(out, schema, ClickHouseFormat.RowBinary);
                return new Block<>() {
                    @Override
                    public void add(ConsumerRecord<String, V> record) {
                        try {
                            rows.write(w, record);
                            w.commitRow();
                        } catch (IOException e) {
                            throw new IllegalStateException("cannot encode rows: " + e.getMessage(), e);
                        }
                    }

                    @Override
                    public byte[] toBytes() {
                        return out.toByteArray();
                    }
                };
            }
        };
    }

    @Override
    public void close() {
        stopping = true;
        consumer.wakeup();
    }
}
