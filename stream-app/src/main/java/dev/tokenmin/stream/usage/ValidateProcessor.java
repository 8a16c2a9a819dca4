package dev.tokenmin.stream.usage;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.schemas.validation.InvalidUsageException;
import dev.tokenmin.schemas.validation.UsageEventValidator;
import dev.tokenmin.stream.errors.InvalidEventException;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

import java.time.Instant;

/**
 * Lets through only events that may be counted: valid by the same rules the agent applies, and keyed by their
 * event id (so every copy of an event lands in the same partition, where deduplication sees it). Anything else
 * is an {@link InvalidEventException}, which sends the raw record to the dead-letter topic.
 */
public final class ValidateProcessor implements FixedKeyProcessor<String, UsageEvent, UsageEvent> {

    private FixedKeyProcessorContext<String, UsageEvent> context;

    @Override
    public void init(FixedKeyProcessorContext<String, UsageEvent> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, UsageEvent> record) {
        UsageEvent event = record.value();
        if (event == null) {
            throw new InvalidEventException("value: missing (a tombstone on the usage topic)");
        }
        try {
            UsageEventValidator.validate(event, Instant.ofEpochMilli(context.currentSystemTimeMs()));
        } catch (InvalidUsageException e) {
            throw new InvalidEventException("invalid usage event " + event.getEventId() + ": " + e.getMessage());
        }
        String id = event.getEventId().toString();
        if (!id.equals(record.key())) {
            throw new InvalidEventException("key: must be the event_id " + id + " (was "
                    + (record.key() == null ? "null" : "\"" + record.key() + "\"") + "), so duplicates meet");
        }
        context.forward(record);
    }
}
