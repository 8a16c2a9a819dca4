package dev.tokenmin.stream.serde;

import dev.tokenmin.avro.ModelSpend;
import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.WindowKind;
import dev.tokenmin.stream.spend.LatestWindows;
import dev.tokenmin.stream.spend.ScopedUsage;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Compact binary encodings for what never leaves the app: the by-scope topic's counted events and the spend
 * aggregates in state stores and their changelogs. Each starts with a format version byte, so a later format can
 * read an earlier one. Not Avro through the registry, because these are encoded and decoded several times per
 * event and scope (store caches hold bytes) and nothing outside the app reads them: no registry subject per
 * changelog topic, no schema id lookups. What other systems read (the spend, priced, alerts and throttle topics)
 * stays Avro through the registry.
 */
public final class InternalSerdes {

    /** The format version byte every internal record starts with. */
    public static final byte V1 = 1;

    private InternalSerdes() {
    }

    static void writeScopedUsage(DataOutputStream out, ScopedUsage u) throws IOException {
        out.writeByte(V1);
        out.writeLong(u.eventId().getMostSignificantBits());
        out.writeLong(u.eventId().getLeastSignificantBits());
        out.writeLong(u.occurredAt());
        out.writeUTF(u.provider());
        out.writeUTF(u.model());
        out.writeLong(u.costNanos());
        out.writeBoolean(u.unpriced());
        out.writeLong(u.inputTokens());
        out.writeLong(u.cachedInputTokens());
        out.writeLong(u.cacheWriteTokens());
        out.writeLong(u.outputTokens());
        out.writeLong(u.reasoningTokens());
        out.writeBoolean(u.userId() != null);
        if (u.userId() != null) {
            out.writeUTF(u.userId());
        }
    }

    static ScopedUsage readScopedUsage(DataInputStream in) throws IOException {
        version(in, "counted event");
        return new ScopedUsage(new UUID(in.readLong(), in.readLong()), in.readLong(), in.readUTF(), in.readUTF(),
                in.readLong(), in.readBoolean(), in.readLong(), in.readLong(), in.readLong(), in.readLong(),
                in.readLong(), in.readBoolean() ? in.readUTF() : null);
    }

    /** Counted events, for the rare place that needs them alone (grouping after the by-scope topic). */
    public static Serde<ScopedUsage> scopedUsage() {
        return Serdes.serdeFrom((topic, u) -> u == null ? null : encode(out -> writeScopedUsage(out, u)),
                (topic, bytes) -> bytes == null ? null : decode(bytes, InternalSerdes::readScopedUsage));
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

    private static void writeLatest(DataOutputStream out, LatestWindows latest) throws IOException {
        out.writeByte(V1);
        for (WindowKind kind : LatestWindows.KINDS) {
            SpendAggregate window = latest.get(kind);
            out.writeBoolean(window != null);
            if (window != null) {
                writeSpend(out, window);
            }
        }
    }

    private static LatestWindows readLatest(DataInputStream in) throws IOException {
        version(in, "latest windows");
        LatestWindows latest = new LatestWindows();
        for (int i = 0; i < LatestWindows.KINDS.size(); i++) {
            if (in.readBoolean()) {
                latest.set(readSpend(in));
            }
        }
        return latest;
    }

    private static void writeSpend(DataOutputStream out, SpendAggregate a) throws IOException {
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

    private static SpendAggregate readSpend(DataInputStream in) throws IOException {
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
    public static void version(DataInputStream in, String what) throws IOException {
        byte v = in.readByte();
        if (v != V1) {
            throw new SerializationException(what + " in format " + v + ", this version reads format " + V1);
        }
    }

    /** Writes one record to a data stream. */
    public interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    /** Reads one record from a data stream. */
    public interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    public static byte[] encode(Writer writer) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writer.write(out);
        } catch (IOException e) {
            throw new SerializationException(e);
        }
        return bytes.toByteArray();
    }

    public static <T> T decode(byte[] bytes, Reader<T> reader) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            return reader.read(in);
        } catch (IOException e) {
            throw new SerializationException("cannot read an internal record: " + e.getMessage(), e);
        }
    }
}
