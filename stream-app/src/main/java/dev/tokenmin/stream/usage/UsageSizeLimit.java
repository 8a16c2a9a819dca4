package dev.tokenmin.stream.usage;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.stream.errors.OversizedRecordException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Refuses usage records larger than {@link #MAX_BYTES} before decoding them. The largest valid event (every id at
 * its longest, 32 labels of 256 characters) encodes to well under 16 KiB; the agent refuses larger events before
 * they are spooled, so a record above the limit on the topic was not written by a tokenmin agent.
 */
public final class UsageSizeLimit {

    /** The largest usage record the stream app decodes, in bytes (value only, Confluent framing included). */
    public static final int MAX_BYTES = 64 * 1024;

    private UsageSizeLimit() {
    }

    /** {@code serde} whose deserializer throws {@link OversizedRecordException} for records over the limit. */
    public static Serde<UsageEvent> limit(Serde<UsageEvent> serde) {
        Deserializer<UsageEvent> inner = serde.deserializer();
        Deserializer<UsageEvent> limited = new Deserializer<>() {
            @Override
            public UsageEvent deserialize(String topic, byte[] data) {
                check(data);
                return inner.deserialize(topic, data);
            }

            @Override
            public UsageEvent deserialize(String topic, Headers headers, byte[] data) {
                check(data);
                return inner.deserialize(topic, headers, data);
            }
        };
        return Serdes.serdeFrom(serde.serializer(), limited);
    }

    private static void check(byte[] data) {
        if (data != null && data.length > MAX_BYTES) {
            throw new OversizedRecordException("usage record of " + data.length + " bytes is over the limit of "
                    + MAX_BYTES + " bytes");
        }
    }
}
