package dev.tokenmin.ingest.emit;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.ingest.privacy.LabelFilter;
import dev.tokenmin.ingest.privacy.UserIdHasher;
import dev.tokenmin.ingest.spool.Spool;
import dev.tokenmin.ingest.spool.SpoolFullException;
import dev.tokenmin.ingest.spool.SpoolMetrics;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.registry.SubjectNameStrategy;
import dev.tokenmin.schemas.serde.ConfluentAvroSerializer;
import dev.tokenmin.schemas.validation.FieldError;
import dev.tokenmin.schemas.validation.InvalidUsageException;
import dev.tokenmin.schemas.validation.UsageEventValidator;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The SDK for JVM gateways: {@link #emit} validates an event, applies the privacy rules (keyed hashing of the
 * user id, the label allow-list) and appends it to the durable spool; a background drainer sends spooled events
 * to Kafka with an idempotent producer (acks=all, lz4), key = event id, record timestamp = occurred_at, headers
 * {@code source} and {@code ingested_at}. The caller pays only for the append; Kafka being slow or away fills the
 * spool instead of blocking requests, until the spool's limit applies back-pressure.
 */
public final class UsageEmitter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UsageEmitter.class);

    private final EmitterConfig config;
    private final Spool spool;
    private final UserIdHasher hasher;
    private final LabelFilter labels;
    private final SchemaRegistryClient registry;
    private final Producer<String, UsageEvent> producer;
    private final Drainer drainer;
    private final Thread drainerThread;
    private final Map<Drainer.Position, CompletableFuture<Void>> acknowledgements = Drainer.newAcknowledgementMap();
    private final Clock clock = Clock.systemUTC();

    private UsageEmitter(EmitterConfig config, SpoolMetrics metrics) {
        this.config = config;
        this.spool = Spool.open(config.spool(), metrics);
        this.hasher = config.userIdHashKey() == null ? null : new UserIdHasher(config.userIdHashKey());
        this.labels = new LabelFilter(config.allowedLabels());
        Map<String, Object> registryProps = new HashMap<>(config.registry());
        registryProps.put(SchemaRegistryConfig.URL, config.schemaRegistryUrl());
        this.registry = new SchemaRegistryClient(SchemaRegistryConfig.fromProperties(registryProps));
        this.producer = new KafkaProducer<>(producerConfig(config), new StringSerializer(),
                new ConfluentAvroSerializer<>(registry, true, SubjectNameStrategy.TOPIC_NAME, false));
        this.drainer = new Drainer(spool, producer, config.topic(), acknowledgements);
        this.drainerThread = Thread.ofPlatform().daemon().name("usage-drainer").start(drainer);
    }

    /** Opens the spool (sending what a previous run left) and starts the drainer. */
    public static UsageEmitter start(EmitterConfig config) {
        return new UsageEmitter(config, new SpoolMetrics());
    }

    /** The same, with the spool's and the emitter's meters in {@code meters}. */
    public static UsageEmitter start(EmitterConfig config, MeterRegistry meters) {
        SpoolMetrics metrics = new SpoolMetrics();
        metrics.bindTo(meters);
        UsageEmitter emitter = new UsageEmitter(config, metrics);
        FunctionCounter.builder("tokenmin.agent.labels.dropped", emitter.labels, LabelFilter::dropped)
                .description("labels dropped because they are not on the allow-list").register(meters);
        return emitter;
    }

    static Map<String, Object> producerConfig(EmitterConfig config) {
        Map<String, Object> p = new HashMap<>(config.kafka());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        // Never give up on an event on our own: the spool holds it until Kafka takes it.
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "tokenmin-agent");
        return p;
    }

    /**
     * Spools one event.
     *
     * @return its durability and acknowledgement futures
     * @throws InvalidUsageException listing every invalid field
     * @throws SpoolFullException    when the spool stays full
     */
    public Emission emit(UsageEvent event) {
        UsageEventValidator.validate(event, clock.instant(), hasher != null);
        CompletableFuture<Void> acknowledged = new CompletableFuture<>();
        // Registered before the drainer can see the record, so a fast acknowledgement cannot miss it.
        Spool.Appended appended = spool.append(encode(applyPrivacy(event)), (segment, offset) ->
                acknowledgements.put(new Drainer.Position(segment, offset), acknowledged));
        return new Emission(appended.durable(), acknowledged);
    }

    /**
     * Spools a batch all or nothing: every event is checked first (errors name {@code events[i].field}), and the
     * batch is appended only when all of it fits, so a refused batch can be retried as it is.
     *
     * @return each event's durability and acknowledgement futures, in order
     * @throws InvalidUsageException listing every invalid field of every event; nothing is spooled
     * @throws SpoolFullException    when the spool stays too full for the whole batch; nothing is spooled
     */
    public List<Emission> emitAll(List<UsageEvent> events) {
        Instant now = clock.instant();
        List<FieldError> errors = new ArrayList<>();
        List<byte[]> payloads = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            try {
                UsageEventValidator.validate(events.get(i), now, hasher != null);
                payloads.add(encode(applyPrivacy(events.get(i))));
            } catch (InvalidUsageException e) {
                for (FieldError error : e.errors()) {
                    errors.add(new FieldError("events[" + i + "]." + error.field(), error.reason()));
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidUsageException(errors);
        }
        List<CompletableFuture<Void>> acks = new ArrayList<>(events.size());
        List<Spool.Appended> appended = spool.appendAll(payloads, (segment, offset) -> {
            CompletableFuture<Void> acknowledged = new CompletableFuture<>();
            acks.add(acknowledged);
            acknowledgements.put(new Drainer.Position(segment, offset), acknowledged);
        });
        List<Emission> out = new ArrayList<>(appended.size());
        for (int i = 0; i < appended.size(); i++) {
            out.add(new Emission(appended.get(i).durable(), acks.get(i)));
        }
        return out;
    }

    private static byte[] encode(UsageEvent event) {
        try {
            ByteBuffer encoded = UsageEvent.getEncoder().encode(event);
            byte[] payload = new byte[encoded.remaining()];
            encoded.get(payload);
            return payload;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode event " + event.getEventId(), e);
        }
    }

    private UsageEvent applyPrivacy(UsageEvent event) {
        boolean hash = hasher != null && event.getUserId() != null
                && !event.getUserId().startsWith(UserIdHasher.PREFIX);
        Map<String, String> kept = event.getLabels() == null ? Map.of() : labels.filter(event.getLabels());
        if (!hash && kept == event.getLabels()) {
            return event;
        }
        UsageEvent.Builder copy = UsageEvent.newBuilder(event).setLabels(kept);
        if (hash) {
            copy.setUserId(hasher.pseudonymOf(event.getUserId()));
        }
        return copy.build();
    }

    public SpoolMetrics metrics() {
        return spool.metrics();
    }

    /** Labels dropped by the allow-list so far. */
    public long labelsDropped() {
        return labels.dropped();
    }

    public EmitterConfig config() {
        return config;
    }

    /**
     * Stops taking events, gives Kafka up to {@code shutdownDrain} to acknowledge what it has, and closes; events
     * not acknowledged stay in the spool for the next start.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + config.shutdownDrain().toNanos();
        while (!drainer.isIdle() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        drainer.stop();
        try {
            drainerThread.join(config.shutdownDrain().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long remaining = Math.max(0, deadline - System.nanoTime());
        producer.close(Duration.ofNanos(remaining));
        registry.close();
        spool.close();
        LOG.info("usage emitter stopped: {} spooled, {} sent, {} bytes kept in the spool for the next start",
                spool.metrics().spooled(), spool.metrics().sent(), spool.pendingBytes());
    }
}
