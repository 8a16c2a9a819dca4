package dev.tokenmin.stream.notify;

import dev.tokenmin.avro.Alert;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Delivers alerts from the alerts topic to webhook endpoints: JSON POSTs signed with HMAC-SHA256
 * ({@link Signatures}), the alert id as idempotency key (header {@code Tokenmin-Alert-Id} and field
 * {@code idempotency_key}). Each endpoint has a worker thread and a consumer group of its own, so a failing endpoint
 * holds back only itself. A delivery is retried with doubling backoff on a network error, a 5xx, 408 or 429; another
 * 4xx, or the last failed try, moves the alert to the webhook dead-letter topic (the body it was sent, with
 * headers saying why). The consumer offset is committed after each alert is delivered or dead-lettered: state
 * survives restarts, nothing is lost, and what was delivered is not sent again unless the process dies between a
 * delivery and its commit (then once more, with the same idempotency key).
 */
public final class WebhookNotifier implements AutoCloseable {

    public static final String HEADER_ALERT_ID = "Tokenmin-Alert-Id";
    private static final Logger LOG = LoggerFactory.getLogger(WebhookNotifier.class);

    /** Deliveries per endpoint: delivered, failed tries, dead-lettered. */
    public record Counts(AtomicLong delivered, AtomicLong failedTries, AtomicLong deadLettered) {
    }

    private final NotifierConfig config;
    private final SchemaRegistryClient registry;
    private final KafkaProducer<String, byte[]> deadLetters;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Clock clock;
    private final List<Worker> workers = new ArrayList<>();
    private final Map<String, Counts> counts = new HashMap<>();
    private volatile boolean stopping;
    /** Counted down on close: ends backoff waits at once, without interrupting the Kafka clients. */
    private final CountDownLatch stopSignal = new CountDownLatch(1);

    private WebhookNotifier(NotifierConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.registry = new SchemaRegistryClient(SchemaRegistryConfig.of(config.schemaRegistryUrl()));
        Map<String, Object> producerProps = new HashMap<>(config.kafka());
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        this.deadLetters = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
        for (WebhookEndpoint endpoint : config.endpoints()) {
            Counts c = new Counts(new AtomicLong(), new AtomicLong(), new AtomicLong());
            counts.put(endpoint.name(), c);
            workers.add(new Worker(endpoint, c));
        }
    }

    public static WebhookNotifier start(NotifierConfig config) {
        return start(config, Clock.systemUTC());
    }

    public static WebhookNotifier start(NotifierConfig config, Clock clock) {
        WebhookNotifier notifier = new WebhookNotifier(config, clock);
        notifier.workers.forEach(w -> w.thread.start());
        LOG.info("notifier delivering {} to {} endpoints: {}", config.topics().alerts(), config.endpoints().size(),
                config.endpoints().stream().map(WebhookEndpoint::name).toList());
        return notifier;
    }

    public Map<String, Counts> counts() {
        return counts;
    }

    /** Stops the workers; an alert in the middle of its retries is left uncommitted, to be delivered after restart. */
    @Override
    public void close() {
        stopping = true;
        stopSignal.countDown();
        for (Worker w : workers) {
            w.consumer.wakeup();
        }
        for (Worker w : workers) {
            try {
                w.thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        deadLetters.close(Duration.ofSeconds(5));
        registry.close();
    }

    /** One endpoint's consumer and delivery loop. */
    private final class Worker implements Runnable {
        private final WebhookEndpoint endpoint;
        private final Counts counts;
        private final KafkaConsumer<String, Alert> consumer;
        private final Thread thread;

        Worker(WebhookEndpoint endpoint, Counts counts) {
            this.endpoint = endpoint;
            this.counts = counts;
            Map<String, Object> props = new HashMap<>(config.kafka());
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
            props.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupPrefix() + "-" + endpoint.name());
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 20);
            // A record may wait out every retry before the next poll.
            props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE,
                    config.maxBackoff().toMillis() * config.maxAttempts() + 300_000));
            this.consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                    ConfluentAvroSerde.of(Alert.class, registry, false).deserializer());
            this.thread = Thread.ofPlatform().name("notifier-" + endpoint.name()).unstarted(this);
        }

        @Override
        public void run() {
            try (consumer) {
                consumer.subscribe(List.of(config.topics().alerts()));
                while (!stopping) {
                    for (ConsumerRecord<String, Alert> r : consumer.poll(Duration.ofMillis(500))) {
                        if (r.value() != null && endpoint.wants(r.value()) && !deliver(r)) {
                            return; // stopping mid-retry: leave it uncommitted
                        }
                        commit(r);
                    }
                }
            } catch (WakeupException e) {
                if (!stopping) {
                    throw e;
                }
            } catch (RuntimeException e) {
                if (!stopping) {
                    LOG.error("notifier for {} stopped: {}", endpoint.name(), e.toString());
                }
            }
        }

        private void commit(ConsumerRecord<String, Alert> r) {
            try {
                consumer.commitSync(Map.of(new TopicPartition(r.topic(), r.partition()),
                        new OffsetAndMetadata(r.offset() + 1)));
            } catch (CommitFailedException e) {
                LOG.warn("notifier for {} lost its partitions before committing offset {} of {}-{}; the alert may "
                        + "be delivered again", endpoint.name(), r.offset(), r.topic(), r.partition());
            }
        }

        /** @return false when stopping interrupted the retries (the alert stays uncommitted) */
        private boolean deliver(ConsumerRecord<String, Alert> r) {
            Alert alert = r.value();
            byte[] body = endpoint.slack() ? AlertPayloads.slack(alert) : AlertPayloads.json(alert);
            Duration backoff = config.initialBackoff();
            String lastError = "";
            for (int attempt = 1; attempt <= config.maxAttempts(); attempt++) {
                int status = -1;
                try {
                    status = post(alert, body, attempt);
                } catch (IOException e) {
                    lastError = e.toString();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
                if (status >= 200 && status < 300) {
                    counts.delivered().incrementAndGet();
                    return true;
                }
                if (status >= 0) {
                    lastError = "HTTP " + status;
                    if (status < 500 && status != 408 && status != 429) {
                        break; // the endpoint refuses this request; trying again will not change that
                    }
                }
                counts.failedTries().incrementAndGet();
                if (attempt < config.maxAttempts()) {
                    LOG.warn("webhook {} did not take alert {} (try {} of {}: {}); next try in {} ms", endpoint.name(),
                            alert.getAlertId(), attempt, config.maxAttempts(), lastError, backoff.toMillis());
                    try {
                        if (stopSignal.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) {
                            return false;
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                    backoff = backoff.multipliedBy(2).compareTo(config.maxBackoff()) > 0 ? config.maxBackoff()
                            : backoff.multipliedBy(2);
                }
            }
            deadLetter(r, body, lastError);
            return true;
        }

        private int post(Alert alert, byte[] body, int attempt) throws IOException, InterruptedException {
            long now = clock.instant().getEpochSecond();
            HttpRequest.Builder req = HttpRequest.newBuilder(endpoint.url()).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json").header("User-Agent", "tokenmin-notifier")
                    .header(HEADER_ALERT_ID, alert.getAlertId().toString())
                    .header("Tokenmin-Attempt", Integer.toString(attempt))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (!endpoint.secret().isEmpty()) {
                req.header(Signatures.HEADER, Signatures.sign(endpoint.secret(), now, body));
            }
            return http.send(req.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        }

        private void deadLetter(ConsumerRecord<String, Alert> r, byte[] body, String why) {
            RecordHeaders headers = new RecordHeaders();
            headers.add("tokenmin.webhook.endpoint", endpoint.name().getBytes(StandardCharsets.UTF_8));
            headers.add("tokenmin.webhook.error", why.getBytes(StandardCharsets.UTF_8));
            headers.add("tokenmin.webhook.source", (r.topic() + "-" + r.partition() + "@" + r.offset())
                    .getBytes(StandardCharsets.UTF_8));
            try {
                deadLetters.send(new ProducerRecord<>(config.topics().webhookDeadLetters(), null,
                        r.value().getAlertId().toString(), body, headers)).get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("cannot write to " + config.topics().webhookDeadLetters() + ": "
                        + e.getCause().getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while dead-lettering", e);
            }
            counts.deadLettered().incrementAndGet();
            LOG.warn("webhook {} never took alert {} ({}); moved to {}", endpoint.name(), r.value().getAlertId(), why,
                    config.topics().webhookDeadLetters());
        }
    }
}
