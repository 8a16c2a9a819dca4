package dev.tokenmin.stream.serde;

import dev.tokenmin.avro.ModelSpend;
import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.WindowKind;
import dev.tokenmin.stream.spend.LatestWindows;
import dev.tokenmin.stream.spend.SpendDelta;
import dev.tokenmin.stream.spend.SpendDeltaBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compact binary encodings for what never leaves the app: the by-scope and by-dimension topics' spend deltas, the spend
 * aggregates in state stores and their changelogs. Each starts with a format version byte, so a later format can read
 * an earlier one (store keys excepted: they are compared as bytes). Not Avro through the registry, because these are
 * encoded and decoded several times per event and scope (store caches hold bytes) and nothing outside the app reads
 * them: no registry subject per changelog topic, no schema id lookups. What other systems read (the spend, priced,
 * alerts and throttle topics) stays Avro through the registry.
 */
public final class InternalSerdes {

    /** The format version byte every internal record starts with. */
    public static final byte V1 = 1;

    private InternalSerdes() {
    }

    /**
     * The format byte of {@link SpendDelta}s. Format 1 was a single counted event (before events were summed per
     * scope and minute); it is still read, as a delta of one event, so that records in flight across an upgrade count.
     */
    static final byte DELTA_FORMAT = 2;
    private static final byte LEGACY_COUNTED_EVENT = 1;

    static void writeDelta(DataOutput out, SpendDelta d) throws IOException {
        out.writeByte(DELTA_FORMAT);
        out.writeLong(d.firstAt());
        out.writeLong(d.lastAt());
        out.writeLong(d.requests());
        out.writeLong(d.unpricedRequests());
        out.writeLong(d.costNanos());
        out.writeLong(d.inputTokens());
        out.writeLong(d.cachedInputTokens());
        out.writeLong(d.cacheWriteTokens());
        out.writeLong(d.outputTokens());
        out.writeLong(d.reasoningTokens());
        out.writeInt(d.byModel().size());
        for (SpendDelta.ModelDelta m : d.byModel()) {
            out.writeUTF(m.provider());
            out.writeUTF(m.model());
            out.writeLong(m.requests());
            out.writeLong(m.costNanos());
            out.writeLong(m.inputTokens());
            out.writeLong(m.outputTokens());
        }
        out.writeInt(d.userCosts().size());
        for (Map.Entry<String, Long> user : new TreeMap<>(d.userCosts()).entrySet()) { // the same bytes every time
            out.writeUTF(user.getKey());
            out.writeLong(user.getValue());
        }
    }

    static SpendDelta readDelta(DataInput in) throws IOException {
        byte format = in.readByte();
        if (format == LEGACY_COUNTED_EVENT) {
            return readCountedEvent(in);
        }
        if (format != DELTA_FORMAT) {
            throw new SerializationException("spend delta in format " + format + ", this version reads formats "
                    + LEGACY_COUNTED_EVENT + " and " + DELTA_FORMAT);
        }
        long firstAt = in.readLong();
        long lastAt = in.readLong();
        long requests = in.readLong();
        long unpriced = in.readLong();
        long cost = in.readLong();
        long input = in.readLong();
        long cached = in.readLong();
        long cacheWrite = in.readLong();
        long output = in.readLong();
        long reasoning = in.readLong();
        int models = in.readInt();
        List<SpendDelta.ModelDelta> byModel = new ArrayList<>(models);
        for (int i = 0; i < models; i++) {
            byModel.add(new SpendDelta.ModelDelta(in.readUTF(), in.readUTF(), in.readLong(), in.readLong(),
                    in.readLong(), in.readLong()));
        }
        int users = in.readInt();
        Map<String, Long> userCosts = new HashMap<>(users * 2);
        for (int i = 0; i < users; i++) {
            userCosts.put(in.readUTF(), in.readLong());
        }
        return new SpendDelta(firstAt, lastAt, requests, unpriced, cost, input, cached, cacheWrite, output, reasoning,
                byModel, userCosts);
    }

    /** Format 1: one counted event (id, time, model, cost, unpriced, tokens, user), as a delta of one event. */
    private static SpendDelta readCountedEvent(DataInput in) throws IOException {
        in.readLong(); // the event id, which deltas do not carry
        in.readLong();
        long at = in.readLong();
        String provider = in.readUTF();
        String model = in.readUTF();
        long cost = in.readLong();
        boolean unpriced = in.readBoolean();
        long input = in.readLong();
        long cached = in.readLong();
        long cacheWrite = in.readLong();
        long output = in.readLong();
        long reasoning = in.readLong();
        String user = in.readBoolean() ? in.readUTF() : null;
        return new SpendDelta(at, at, 1, unpriced ? 1 : 0, cost, input, cached, cacheWrite, output, reasoning,
                List.of(new SpendDelta.ModelDelta(provider, model, 1, cost, input, output)),
                user == null ? Map.of() : Map.of(user, cost));
    }

    /** Spend deltas: the by-scope and by-dimension topics' counted spend, and the buffers' sums. */
    public static Serde<SpendDelta> spendDelta() {
        return Serdes.serdeFrom((topic, d) -> d == null ? null : encode(out -> writeDelta(out, d)),
                (topic, bytes) -> bytes == null ? null : decode(bytes, InternalSerdes::readDelta));
    }

    /**
     * The keys of {@link SpendDeltaBuffer}'s store: the minute first (big-endian, so byte order is time order for
     * any time after 1970), then the scope or dimension.
     */
    public static Serde<SpendDeltaBuffer.Key> deltaKey() {
        return Serdes.serdeFrom((topic, k) -> k == null ? null : encode(out -> {
            out.writeLong(k.minute());
            out.writeUTF(k.key());
        }), (topic, bytes) -> bytes == null ? null : decode(bytes,
                in -> new SpendDeltaBuffer.Key(in.readLong(), in.readUTF())));
    }

    /** One event in a delta buffer's journal: the generation it was summed in, the keys it counts in, its delta. */
    public record JournalEntry(long generation, List<String> keys, SpendDelta delta) {
    }

    /** A delta buffer's journal entry (see {@code spend/DeltaJournal}). */
    public static byte[] encodeJournalEntry(long generation, List<String> keys, SpendDelta delta) {
        if (keys.size() > 255) {
            throw new IllegalArgumentException("an event counts in at most 255 keys, had " + keys.size());
        }
        return encode(out -> {
            out.writeByte(V1);
            out.writeLong(generation);
            out.writeByte(keys.size());
            for (String key : keys) {
                out.writeUTF(key);
            }
            writeDelta(out, delta);
        });
    }

    public static JournalEntry decodeJournalEntry(byte[] bytes) {
        return decode(bytes, in -> {
            version(in, "delta journal entry");
            long generation = in.readLong();
            int n = in.readUnsignedByte();
            List<String> keys = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                keys.add(in.readUTF());
            }
            return new JournalEntry(generation, keys, readDelta(in));
        });
    }

    /** Spend aggregates in state stores. */
    public static Serde<SpendAggregate> spendAggregate() {
        return Serdes.serdeFrom((topic, agg) -> agg == null ? null : encode(out -> writeSpend(out, agg)),
                (topic, bytes) -> bytes == null ? null : decode(bytes, InternalSerdes::readSpend));
    }

    /** A scope's latest window of each calendar kind, in one state store entry. */
    public static Serde<LatestWindows> latestWindows() {
        return Serdes.serdeFrom((topic, w) -> w == null ? null : encode(out -> writeLatest(out, w)),
                (topic, bytes) -> bytes == null ? null : decode(bytes, InternalSerdes::readLatest));
    }

    private static void writeLatest(DataOutput out, LatestWindows latest) throws IOException {
        out.writeByte(V1);
        for (WindowKind kind : LatestWindows.KINDS) {
            SpendAggregate window = latest.get(kind);
            out.writeBoolean(window != null);
            if (window != null) {
                writeSpend(out, window);
            }
        }
    }

    private static LatestWindows readLatest(DataInput in) throws IOException {
        version(in, "latest windows");
        LatestWindows latest = new LatestWindows();
        for (int i = 0; i < LatestWindows.KINDS.size(); i++) {
            if (in.readBoolean()) {
                latest.set(readSpend(in));
            }
        }
        return latest;
    }

    private static void writeSpend(DataOutput out, SpendAggregate a) throws IOException {
        out.writeByte(V1);
        out.writeUTF(a.getScope());
        out.writeByte(a.getWindowKind().ordinal());
        out.writeLong(a.getWindowStart().toEpochMilli());
        out.writeLong(a.getWindowEnd().toEpochMilli());
        out.writeLong(a.getCostNanos());
        out.writeLong(a.getRequests());
        out.writeLong(a.getUnpricedRequests());
        out.writeLong(a.getInputTokens());
        out.writeLong(a.getCachedInputTokens());
        out.writeLong(a.getCacheWriteTokens());
        out.writeLong(a.getOutputTokens());
        out.writeLong(a.getReasoningTokens());
        out.writeLong(a.getUpdatedAt().toEpochMilli());
        out.writeInt(a.getByModel().size());
        for (ModelSpend m : a.getByModel()) {
            out.writeUTF(m.getProvider());
            out.writeUTF(m.getModel());
            out.writeLong(m.getCostNanos());
            out.writeLong(m.getRequests());
            out.writeLong(m.getInputTokens());
            out.writeLong(m.getOutputTokens());
        }
    }

    private static SpendAggregate readSpend(DataInput in) throws IOException {
        version(in, "spend aggregate");
        SpendAggregate a = new SpendAggregate();
        a.setScope(in.readUTF());
        a.setWindowKind(WindowKind.values()[in.readByte()]);
        a.setWindowStart(Instant.ofEpochMilli(in.readLong()));
        a.setWindowEnd(Instant.ofEpochMilli(in.readLong()));
        a.setCostNanos(in.readLong());
        a.setRequests(in.readLong());
        a.setUnpricedRequests(in.readLong());
        a.setInputTokens(in.readLong());
        a.setCachedInputTokens(in.readLong());
        a.setCacheWriteTokens(in.readLong());
        a.setOutputTokens(in.readLong());
        a.setReasoningTokens(in.readLong());
        a.setUpdatedAt(Instant.ofEpochMilli(in.readLong()));
        int models = in.readInt();
        List<ModelSpend> byModel = new ArrayList<>(models);
        for (int i = 0; i < models; i++) {
            ModelSpend m = new ModelSpend();
            m.setProvider(in.readUTF());
            m.setModel(in.readUTF());
            m.setCostNanos(in.readLong());
            m.setRequests(in.readLong());
            m.setInputTokens(in.readLong());
            m.setOutputTokens(in.readLong());
            byModel.add(m);
        }
        a.setByModel(byModel);
        return a;
    }

    /** Reads and checks the format version byte every internal record starts with. */
    public static void version(DataInput in, String what) throws IOException {
        byte v = in.readByte();
        if (v != V1) {
            throw new SerializationException(what + " in format " + v + ", this version reads format " + V1);
        }
    }

    /** Writes one record as binary data. */
    public interface Writer {
        void write(DataOutput out) throws IOException;
    }

    /** Reads one record from binary data. */
    public interface Reader<T> {
        T read(DataInput in) throws IOException;
    }

    public static byte[] encode(Writer writer) {
        BinaryWriter out = new BinaryWriter(256);
        try {
            writer.write(out);
        } catch (IOException e) {
            throw new SerializationException(e);
        }
        return out.toByteArray();
    }

    public static <T> T decode(byte[] bytes, Reader<T> reader) {
        try {
            return reader.read(new BinaryReader(bytes));
        } catch (IOException e) {
            throw new SerializationException("cannot read an internal record: " + e.getMessage(), e);
        }
    }
}
