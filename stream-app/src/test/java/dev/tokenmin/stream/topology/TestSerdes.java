package dev.tokenmin.stream.topology;

import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.stream.serde.StreamSerdes;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Serdes for TopologyTestDriver tests: Avro's single-object encoding, which needs no schema registry. The topology
 * logic is what these tests check; the Confluent wire format through the real registry is covered by the ITs.
 */
public final class TestSerdes {

    private TestSerdes() {
    }

    public static StreamSerdes registryFree() {
        return new StreamSerdes(serde(UsageEvent.getEncoder(), UsageEvent.getDecoder()),
                serde(PriceEntry.getEncoder(), PriceEntry.getDecoder()),
                serde(PricedUsage.getEncoder(), PricedUsage.getDecoder()),
                serde(SpendAggregate.getEncoder(), SpendAggregate.getDecoder()),
                serde(Budget.getEncoder(), Budget.getDecoder()),
                serde(ThrottleDecision.getEncoder(), ThrottleDecision.getDecoder()),
                serde(Alert.getEncoder(), Alert.getDecoder()));
    }

    static <T> Serde<T> serde(BinaryMessageEncoder<T> encoder, BinaryMessageDecoder<T> decoder) {
        return Serdes.serdeFrom((topic, value) -> {
            if (value == null) {
                return null;
            }
            try {
                ByteBuffer b = encoder.encode(value);
                byte[] out = new byte[b.remaining()];
                b.get(out);
                return out;
            } catch (IOException e) {
                throw new SerializationException(e);
            }
        }, (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return decoder.decode(bytes);
            } catch (IOException | RuntimeException e) {
                throw new SerializationException("not a single-object Avro record: " + e.getMessage(), e);
            }
        });
    }
}
