package dev.tokenmin.stream.anomaly;

import dev.tokenmin.stream.serde.InternalSerdes;
import dev.tokenmin.stream.spend.SpendDelta;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * A dimension's totals in one window: what baselines are made of. Prompt tokens are input, cache reads and cache
 * writes (the context sent); billed tokens add output.
 */
final class Bucket {

    long cost;
    long requests;
    long promptTokens;
    long outputTokens;
    long billedTokens;

    void add(SpendDelta u) {
        cost = Math.addExact(cost, u.costNanos());
        requests += u.requests();
        promptTokens += u.promptTokens();
        outputTokens += u.outputTokens();
        billedTokens += u.billedTokens();
    }

    void add(Bucket b) {
        cost = Math.addExact(cost, b.cost);
        requests += b.requests;
        promptTokens += b.promptTokens;
        outputTokens += b.outputTokens;
        billedTokens += b.billedTokens;
    }

    void write(DataOutput out) throws IOException {
        out.writeLong(cost);
        out.writeLong(requests);
        out.writeLong(promptTokens);
        out.writeLong(outputTokens);
        out.writeLong(billedTokens);
    }

    static Bucket read(DataInput in) throws IOException {
        Bucket b = new Bucket();
        b.cost = in.readLong();
        b.requests = in.readLong();
        b.promptTokens = in.readLong();
        b.outputTokens = in.readLong();
        b.billedTokens = in.readLong();
        return b;
    }

    /** Closed windows in the history stores. */
    static Serde<Bucket> serde() {
        return Serdes.serdeFrom((topic, b) -> b == null ? null : InternalSerdes.encode(out -> {
            out.writeByte(InternalSerdes.V1);
            b.write(out);
        }), (topic, bytes) -> bytes == null ? null : InternalSerdes.decode(bytes, in -> {
            InternalSerdes.version(in, "anomaly bucket");
            return read(in);
        }));
    }
}
