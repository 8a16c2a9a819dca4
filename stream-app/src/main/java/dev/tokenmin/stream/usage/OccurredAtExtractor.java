package dev.tokenmin.stream.usage;

import dev.tokenmin.avro.UsageEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time is the call's {@code occurred_at}, whatever timestamp a producer put on the record; a record that
 * did not decode keeps its record timestamp (it goes to the dead-letter topic anyway).
 */
public final class OccurredAtExtractor implements TimestampExtractor {

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        if (record.value() instanceof UsageEvent event && event.getOccurredAt() != null) {
            return event.getOccurredAt().toEpochMilli();
        }
        return record.timestamp();
    }
}
