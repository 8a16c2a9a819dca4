package dev.tokenmin.ingest.emit;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.ingest.spool.Spool;
import dev.tokenmin.schemas.ReleasedSchemas;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends spooled events to Kafka, in spool order, and acknowledges each one in the spool once Kafka has it (so its
 * segment can go). While Kafka or the registry is away it waits and tries the same event again: the spool fills,
 * which is the back-pressure the metrics show; nothing is skipped. Runs on one thread.
 */
final class Drainer implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(Drainer.class);
    static final String HEADER_SOURCE = "source";
    static final String HEADER_INGESTED_AT = "ingested_at";
    private static final int MAX_IN_FLIGHT = 10_000;
    private static final Duration IDLE_WAIT = Duration.ofMillis(2);
    private static final Duration RETRY_MIN = Duration.ofMillis(100);
    private static final Duration RETRY_MAX = Duration.ofSeconds(5);

    private final Spool spool;
    private final Producer<String, UsageEvent> producer;
    private final String topic;
    private final Map<Position, CompletableFuture<Void>> acknowledgements;
    /** Reads events spooled by this version and by every released one (a spool survives an agent upgrade). */
    private final BinaryMessageDecoder<UsageEvent> decoder = decoder();
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private volatile boolean stopping;
    private volatile boolean idle;
    /** Events Kafka failed to take after they were handed over; sent again before anything new. */
    private final Queue<Spool.SpoolRecord> resend = new ConcurrentLinkedQueue<>();
    private volatile Thread thread;

    Drainer(Spool spool, Producer<String, UsageEvent> producer, String topic,
            Map<Position, CompletableFuture<Void>> acknowledgements) {
        this.spool = spool;
        this.producer = producer;
        this.topic = topic;
        this.acknowledgements = acknowledgements;
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        try (Spool.Cursor cursor = spool.cursor()) {
            while (!stopping) {
                Spool.SpoolRecord record = resend.poll();
                if (record == null) {
                    record = cursor.next();
                }
                if (record == null) {
                    idle = inFlight() == 0 && resend.isEmpty();
                    LockSupport.parkNanos(IDLE_WAIT.toNanos());
                    continue;
                }
                idle = false;
                UsageEvent event;
                try {
                    event = decoder.decode(record.payload());
                } catch (IOException | AvroRuntimeException e) {
                    spool.reject(record, "does not decode as a UsageEvent: " + e.getMessage());
                    continue;
                }
                send(record, event);
            }
        }
    }

    /** Sends one event, waiting and trying again while Kafka or the registry cannot take it. */
    private void send(Spool.SpoolRecord record, UsageEvent event) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(HEADER_SOURCE, event.getSource().getBytes(StandardCharsets.UTF_8));
        headers.add(HEADER_INGESTED_AT, Long.toString(record.appendedAtMillis()).getBytes(StandardCharsets.UTF_8));
        ProducerRecord<String, UsageEvent> producerRecord = new ProducerRecord<>(topic, null,
                event.getOccurredAt().toEpochMilli(), event.getEventId().toString(), event, headers);
        long backoff = RETRY_MIN.toMillis();
        while (!stopping) {
            try {
                if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    continue;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                producer.send(producerRecord, (metadata, error) -> {
                    inFlight.release();
                    if (error == null) {
                        spool.acknowledge(record);
                        CompletableFuture<Void> ack = takeAcknowledgement(record);
                        if (ack != null) {
                            ack.complete(null);
                        }
                    } else if (stopping) {
                        // Shutting down: the event stays in the spool and is sent again on the next start.
                        LOG.debug("event {} not acknowledged before stop: {}", event.getEventId(), error.toString());
                    } else if (!isPermanent(error)) {
                        LOG.warn("Kafka did not take event {} ({}); sending it again", event.getEventId(),
                                error.toString());
                        resend.add(record);
                    } else {
                        // Final for this event whatever we do, e.g. too large or not authorized: set it aside.
                        spool.reject(record, "Kafka refused it: " + error);
                        CompletableFuture<Void> ack = takeAcknowledgement(record);
                        if (ack != null) {
                            ack.completeExceptionally(error);
                        }
                    }
                });
                return;
            } catch (SerializationException | RetriableException e) {
                inFlight.release();
                LOG.warn("cannot hand event {} to Kafka yet ({}); trying again in {} ms", event.getEventId(),
                        e.getMessage(), backoff);
            } catch (KafkaException e) {
                inFlight.release();
                if (stopping) {
                    return;
                }
                LOG.warn("Kafka producer error for event {} ({}); trying again in {} ms", event.getEventId(),
                        e.toString(), backoff);
            }
            sleep(backoff);
            backoff = Math.min(backoff * 2, RETRY_MAX.toMillis());
        }
    }

    /** Errors that sending again cannot cure. */
    static boolean isPermanent(Exception error) {
        return error instanceof RecordTooLargeException || error instanceof RecordBatchTooLargeException
                || error instanceof InvalidTopicException || error instanceof AuthorizationException
                || error instanceof SerializationException;
    }

    private CompletableFuture<Void> takeAcknowledgement(Spool.SpoolRecord record) {
        return acknowledgements.remove(new Position(record.segment().seq(), record.offset()));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Events handed to Kafka and not yet acknowledged. */
    int inFlight() {
        return MAX_IN_FLIGHT - inFlight.availablePermits();
    }

    /** True when everything spooled so far has been read and Kafka has acknowledged what was sent. */
    boolean isIdle() {
        return idle;
    }

    /** Stops reading; events already handed to the producer may still be acknowledged. */
    void stop() {
        stopping = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    private static BinaryMessageDecoder<UsageEvent> decoder() {
        BinaryMessageDecoder<UsageEvent> decoder = UsageEvent.createDecoder(null);
        ReleasedSchemas.of(UsageEvent.getClassSchema()).forEach(decoder::addSchema);
        return decoder;
    }

    static Map<Position, CompletableFuture<Void>> newAcknowledgementMap() {
        return new ConcurrentHashMap<>();
    }

    /** Where a record sits in the spool: the key of its acknowledgement future. */
    record Position(long segment, long offset) {
    }
}
