package dev.tokenmin.stream.dedup;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.stream.topology.MeteringCounters;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import java.time.Duration;

/**
 * Drops every copy of an event after the first, by event id, over a horizon of event time (default 7 days): what
 * producer retries and spool replays repeat is counted once. The ids live in a window store whose retention is the
 * horizon, so old ids expire with their segments instead of being scanned. An event older than the horizon behind
 * the partition's stream time is past deduplication and counted as it comes.
 */
public final class DedupProcessor implements FixedKeyProcessor<String, UsageEvent, UsageEvent> {

    private final String storeName;
    private final long horizonMs;
    private FixedKeyProcessorContext<String, UsageEvent> context;
    private WindowStore<String, Long> seen;

    public DedupProcessor(String storeName, Duration horizon) {
        this.storeName = storeName;
        this.horizonMs = horizon.toMillis();
    }

    @Override
    public void init(FixedKeyProcessorContext<String, UsageEvent> context) {
        this.context = context;
        this.seen = context.getStateStore(storeName);
    }

    @Override
    public void process(FixedKeyRecord<String, UsageEvent> record) {
        String id = record.key();
        long at = record.timestamp();
        try (WindowStoreIterator<Long> earlier = seen.fetch(id, at - horizonMs, at + horizonMs)) {
            if (earlier.hasNext()) {
                MeteringCounters.DUPLICATES.incrementAndGet();
                return;
            }
        }
        seen.put(id, at, at);
        context.forward(record);
    }
}
