package dev.tokenmin.stream.spend;

import dev.tokenmin.schemas.scope.ScopeKey;
import dev.tokenmin.stream.topology.MeteringCounters;
import dev.tokenmin.stream.topology.ScopeInput;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;

/**
 * Reports events that arrive after the grace period of their minute window (the first window to close), so that
 * windowed aggregates leave them out. They are not lost: they are in the priced topic (and so in ClickHouse) and in
 * every window still open. They are counted once, on their {@code global} copy, and each late delta (events of one
 * minute summed between two flushes of the pricing side) is logged in one line with how many events it holds.
 * Passes every record on unchanged.
 */
public final class LateEvents implements FixedKeyProcessor<String, ScopeInput, ScopeInput> {

    private static final Logger LOG = LoggerFactory.getLogger(LateEvents.class);
    private static final String GLOBAL = ScopeKey.GLOBAL.toString();
    private static final long MINUTE = Duration.ofMinutes(1).toMillis();

    private final long graceMs;
    private FixedKeyProcessorContext<String, ScopeInput> context;

    public LateEvents(Duration grace) {
        this.graceMs = grace.toMillis();
    }

    @Override
    public void init(FixedKeyProcessorContext<String, ScopeInput> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, ScopeInput> record) {
        ScopeInput in = record.value();
        if (in.isUsage() && GLOBAL.equals(record.key())) {
            long minute = in.usage().minute();
            long closes = minute + MINUTE + graceMs;
            long streamTime = context.currentStreamTimeMs();
            if (streamTime >= closes) {
                MeteringCounters.LATE.addAndGet(in.usage().requests());
                LOG.warn("{} late event(s) of minute {}: {} past its grace; in the priced topic and open windows only",
                        in.usage().requests(), Instant.ofEpochMilli(minute), Duration.ofMillis(streamTime - closes));
            }
        }
        context.forward(record);
    }
}
