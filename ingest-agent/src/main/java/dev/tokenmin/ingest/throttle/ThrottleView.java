package dev.tokenmin.ingest.throttle;

import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.ingest.emit.EmitterConfig;
import dev.tokenmin.ingest.privacy.UserIdHasher;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroDeserializer;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The routing service's copy of the throttle decisions: it reads the compacted throttle topic from the beginning
 * into memory, then follows it, and answers {@link #decisionFor} with the strictest decision in force over the
 * request's scopes (one hash lookup per scope, at most six). It is {@linkplain #isReady ready} once it has read up
 * to the end offsets the topic had when it started, so a restarted router does not let through a request that an
 * existing decision blocks. A tombstone lifts a scope's restriction; so does the end of a decision's period,
 * without waiting for the stream app.
 *
 * <p>It reads committed records only (the stream app writes decisions in transactions) and assigns itself every
 * partition, without a consumer group: each router instance holds the whole topic.
 */
public final class ThrottleView implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ThrottleView.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final String topic;
    private final Consumer<String, ThrottleDecision> consumer;
    private final SchemaRegistryClient registry;
    private final UserIdHasher hasher;
    private final Clock clock;
    private final DecisionTable table = new DecisionTable();
    private final List<ThrottleListener> listeners = new CopyOnWriteArrayList<>();
    private final CountDownLatch ready = new CountDownLatch(1);
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong unreadable = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopping;

    private ThrottleView(EmitterConfig config, Clock clock) {
        this.topic = config.throttleTopic();
        this.clock = clock;
        this.hasher = config.userIdHashKey() == null ? null : new UserIdHasher(config.userIdHashKey());
        Map<String, Object> registryProps = new HashMap<>(config.registry());
        registryProps.put(SchemaRegistryConfig.URL, config.schemaRegistryUrl());
        this.registry = new SchemaRegistryClient(SchemaRegistryConfig.fromProperties(registryProps));
        Map<String, Object> props = new HashMap<>(config.kafka());
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "tokenmin-throttle-view");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ConfluentAvroDeserializer<>(registry, ThrottleDecision.class));
        this.thread = Thread.ofPlatform().daemon().name("throttle-view").unstarted(this::run);
    }

    /** Starts reading the throttle topic named in {@code config} from its beginning. */
    public static ThrottleView start(EmitterConfig config) {
        return start(config, Clock.systemUTC());
    }

    /** The same with the clock that decides when a decision's period has ended. */
    public static ThrottleView start(EmitterConfig config, Clock clock) {
        ThrottleView view = new ThrottleView(config, clock);
        view.thread.start();
        return view;
    }

    /**
     * The strictest decision in force for a request. User ids are hashed the way the emitter hashes them, so a
     * decision for a pseudonymized user applies to the raw id the router knows.
     *
     * @throws IllegalArgumentException naming an id that cannot form a scope key
     */
    public ThrottleVerdict decisionFor(RequestContext request) {
        RequestContext keyed = request;
        if (hasher != null && request.user() != null && !request.user().startsWith(UserIdHasher.PREFIX)) {
            keyed = request.withUser(hasher.pseudonymOf(request.user()));
        }
        return table.verdict(keyed.scopes(), clock.instant());
    }

    /** Every decision in force now, over all scopes, strictest first (for an operator's view, not per request). */
    public List<ThrottleDecision> decisionsInForce() {
        return table.allInForce(clock.instant());
    }

    /** Whether the view has read everything the topic held when it started. */
    public boolean isReady() {
        return ready.getCount() == 0;
    }

    /** Waits until {@link #isReady}; returns whether it became ready within {@code timeout}. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public void addListener(ThrottleListener listener) {
        listeners.add(listener);
    }

    /** Scopes with a decision in force. */
    public int size() {
        return table.size();
    }

    /** Records applied from the topic so far (decisions and tombstones). */
    public long applied() {
        return applied.get();
    }

    /** Records skipped because they could not be decoded. */
    public long unreadable() {
        return unreadable.get();
    }

    private void run() {
        try {
            Map<TopicPartition, Long> startEnd = assignAll();
            if (startEnd == null) {
                return;
            }
            while (!stopping) {
                ConsumerRecords<String, ThrottleDecision> records;
                try {
                    records = consumer.poll(POLL);
                } catch (RecordDeserializationException e) {
                    unreadable.incrementAndGet();
                    LOG.warn("throttle view skips an unreadable record at {} offset {}: {}", e.topicPartition(),
                            e.offset(), e.getMessage());
                    consumer.seek(e.topicPartition(), e.offset() + 1);
                    continue;
                }
                for (ConsumerRecord<String, ThrottleDecision> r : records) {
                    apply(r.key(), r.value());
                }
                liftEnded();
                if (!isReady() && caughtUp(startEnd)) {
                    ready.countDown();
                    LOG.info("throttle view ready: {} scopes restricted after reading {} records of {}",
                            table.size(), applied.get(), topic);
                }
            }
        } catch (WakeupException e) {
            if (!stopping) {
                LOG.error("throttle view woken unexpectedly; it stops following {}", topic);
            }
        } catch (RuntimeException e) {
            LOG.error("throttle view stopped following {}: {}", topic, e.toString());
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Assigns every partition of the topic, waiting for it to exist; returns the end offsets at start. */
    private Map<TopicPartition, Long> assignAll() {
        boolean warned = false;
        while (!stopping) {
            List<PartitionInfo> infos;
            try {
                infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                infos = List.of();
            }
            if (infos != null && !infos.isEmpty()) {
                List<TopicPartition> partitions = infos.stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                return consumer.endOffsets(partitions);
            }
            if (!warned) {
                LOG.warn("throttle view waits for topic {} to exist (not ready until then)", topic);
                warned = true;
            }
            sleep(1_000);
        }
        return null;
    }

    private boolean caughtUp(Map<TopicPartition, Long> startEnd) {
        for (Map.Entry<TopicPartition, Long> e : startEnd.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void apply(String scope, ThrottleDecision decision) {
        applied.incrementAndGet();
        if (scope == null) {
            unreadable.incrementAndGet();
            return;
        }
        ThrottleDecision after = decision != null && DecisionTable.inForce(decision, clock.instant()) ? decision : null;
        ThrottleDecision before = table.put(scope, after);
        if (before != null || after != null) {
            notifyListeners(scope, before, after);
        }
    }

    private void liftEnded() {
        table.removeEnded(clock.instant()).forEach((scope, ended) -> notifyListeners(scope, ended, null));
    }

    private void notifyListeners(String scope, ThrottleDecision before, ThrottleDecision after) {
        for (ThrottleListener l : listeners) {
            try {
                l.changed(scope, before, after);
            } catch (RuntimeException e) {
                LOG.warn("throttle listener {} failed for {}: {}", l, scope, e.toString());
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops following the topic. */
    @Override
    public void close() {
        stopping = true;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        registry.close();
    }
}
