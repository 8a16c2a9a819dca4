package dev.tokenmin.stream.errors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where bad input goes: the dead-letter topic ({@code errors.dead.letter.queue.topic.name}), as the raw bytes it
 * arrived with plus {@code __streams.errors.*} headers (exception class, message, source topic, partition, offset),
 * the headers Kafka Streams' own handlers write. Each record is counted by reason and logged in one line, without
 * a stack trace and without its content. An unexpected exception (a bug, not bad input) stops processing instead:
 * billing data is never skipped to keep going.
 */
public final class DeadLetterHandlers {

    public static final String HEADER_EXCEPTION = "__streams.errors.exception";
    public static final String HEADER_MESSAGE = "__streams.errors.message";
    public static final String HEADER_TOPIC = "__streams.errors.topic";
    public static final String HEADER_PARTITION = "__streams.errors.partition";
    public static final String HEADER_OFFSET = "__streams.errors.offset";

    /** Dead-lettered records by reason ({@code undecodable}, {@code oversized}, {@code invalid}), since the process
     *  started. */
    private static final Map<String, AtomicLong> COUNTS = new ConcurrentHashMap<>();
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandlers.class);

    private DeadLetterHandlers() {
    }

    /** Dead-lettered records so far, by reason. */
    public static Map<String, AtomicLong> counts() {
        return COUNTS;
    }

    /** The count of one reason, created at zero if need be. */
    public static AtomicLong counter(String reason) {
        return COUNTS.computeIfAbsent(reason, r -> new AtomicLong());
    }

    private static ProducerRecord<byte[], byte[]> record(String dlqTopic, byte[] key, byte[] value,
                                                         ErrorHandlerContext context, Exception e) {
        RecordHeaders headers = new RecordHeaders();
        context.headers().forEach(headers::add);
        headers.add(HEADER_EXCEPTION, e.getClass().getName().getBytes(StandardCharsets.UTF_8));
        headers.add(HEADER_MESSAGE, String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8));
        headers.add(HEADER_TOPIC, context.topic().getBytes(StandardCharsets.UTF_8));
        headers.add(HEADER_PARTITION, Integer.toString(context.partition()).getBytes(StandardCharsets.UTF_8));
        headers.add(HEADER_OFFSET, Long.toString(context.offset()).getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(dlqTopic, null, context.timestamp(), key, value, headers);
    }

    private static String topicOf(Map<String, ?> configs) {
        Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        if (topic == null || topic.toString().isBlank()) {
            throw new IllegalStateException(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG
                    + " must name the dead-letter topic");
        }
        return topic.toString();
    }

    /** Records that cannot be deserialized: wrong schema, poison bytes ({@code undecodable}); too large to decode
     *  ({@code oversized}, {@link OversizedRecordException}). */
    public static final class Deserialization implements DeserializationExceptionHandler {
        private String dlqTopic;

        @Override
        public void configure(Map<String, ?> configs) {
            dlqTopic = topicOf(configs);
        }

        @Override
        public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
                                    Exception exception) {
            String reason = exception instanceof OversizedRecordException ? "oversized" : "undecodable";
            counter(reason).incrementAndGet();
            LOG.warn("dead-lettered an {} record from {}-{} at offset {}: {}", reason, context.topic(),
                    context.partition(), context.offset(), exception.toString());
            return Response.resume(List.of(record(dlqTopic, record.key(), record.value(), context, exception)));
        }
    }

    /** Records that decode but are invalid ({@link InvalidEventException}); anything else stops the task. */
    public static final class Processing implements ProcessingExceptionHandler {
        private String dlqTopic;

        @Override
        public void configure(Map<String, ?> configs) {
            dlqTopic = topicOf(configs);
        }

        @Override
        public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
            if (!(exception instanceof InvalidEventException)) {
                LOG.error("processing failed at {}-{} offset {} in {}: {}; stopping rather than skipping billing data",
                        context.topic(), context.partition(), context.offset(), context.processorNodeId(),
                        exception.toString());
                return Response.fail();
            }
            counter("invalid").incrementAndGet();
            LOG.warn("dead-lettered an invalid event from {}-{} at offset {}: {}", context.topic(),
                    context.partition(), context.offset(), exception.getMessage());
            return Response.resume(List.of(record(dlqTopic, context.sourceRawKey(), context.sourceRawValue(), context,
                    exception)));
        }
    }
}
