package dev.tokenmin.stream.anomaly;

import dev.tokenmin.stream.serde.InternalSerdes;
import dev.tokenmin.stream.spend.SpendDelta;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * A dimension's open windows (the current hour and day, UTC, and the month so far), each with the baseline it is
 * judged against, computed once when the window opened, and whether it already fired. Kept per dimension in one
 * state store entry, read and written for every event of the dimension, so it holds only fixed-size figures: the
 * per-model and per-user spend of an open window ("top contributors") live in their own store, one small entry
 * each ({@link AnomalyDetector}). Closed windows go to the history stores as {@link Bucket}s.
 * <p>
 * Format V2; V1 (which carried the contributor maps, up to 64 users per window) is still read, its maps dropped.
 */
final class AnomalyState {

    static final byte V2 = 2;

    long firstSeen;
    Window hour;
    Window day;
    /** Month so far: its start, spend before today's window, last month's spend over the same days, fired. */
    long monthStart = Long.MIN_VALUE;
    long monthBeforeToday;
    long lastMonthSameDays = -1;
    boolean monthFired;

    /** An open window: its totals, its baseline (null: not judged), whether it fired. */
    static final class Window {
        long start;
        final Bucket totals = new Bucket();
        Baseline baseline;
        boolean fired;

        Window(long start, Baseline baseline) {
            this.start = start;
            this.baseline = baseline;
        }

        void add(SpendDelta u) {
            totals.add(u);
        }
    }

    /**
     * What a window is judged against: the median spend of its comparable windows (the threshold's base) and the
     * sums over them (for per-request and per-token factors).
     */
    record Baseline(long medianCost, int windows, Bucket sums) {
    }

    static Serde<AnomalyState> serde() {
        return Serdes.serdeFrom((topic, s) -> s == null ? null : InternalSerdes.encode(out -> s.write(out)),
                (topic, bytes) -> bytes == null ? null : InternalSerdes.decode(bytes, AnomalyState::read));
    }

    private void write(DataOutput out) throws IOException {
        out.writeByte(V2);
        out.writeLong(firstSeen);
        writeWindow(out, hour);
        writeWindow(out, day);
        out.writeLong(monthStart);
        out.writeLong(monthBeforeToday);
        out.writeLong(lastMonthSameDays);
        out.writeBoolean(monthFired);
    }

    private static AnomalyState read(DataInput in) throws IOException {
        byte version = in.readByte();
        if (version != InternalSerdes.V1 && version != V2) {
            throw new IOException("anomaly state: unknown format version " + version);
        }
        boolean maps = version == InternalSerdes.V1;
        AnomalyState s = new AnomalyState();
        s.firstSeen = in.readLong();
        s.hour = readWindow(in, maps);
        s.day = readWindow(in, maps);
        s.monthStart = in.readLong();
        s.monthBeforeToday = in.readLong();
        s.lastMonthSameDays = in.readLong();
        s.monthFired = in.readBoolean();
        return s;
    }

    private static void writeWindow(DataOutput out, Window w) throws IOException {
        out.writeBoolean(w != null);
        if (w == null) {
            return;
        }
        out.writeLong(w.start);
        w.totals.write(out);
        out.writeBoolean(w.fired);
        out.writeBoolean(w.baseline != null);
        if (w.baseline != null) {
            out.writeLong(w.baseline.medianCost());
            out.writeInt(w.baseline.windows());
            w.baseline.sums().write(out);
        }
    }

    private static Window readWindow(DataInput in, boolean maps) throws IOException {
        if (!in.readBoolean()) {
            return null;
        }
        long start = in.readLong();
        Bucket totals = Bucket.read(in);
        if (maps) {
            skipMap(in);
            skipMap(in);
        }
        boolean fired = in.readBoolean();
        Baseline baseline = in.readBoolean() ? new Baseline(in.readLong(), in.readInt(), Bucket.read(in)) : null;
        Window w = new Window(start, baseline);
        w.totals.add(totals);
        w.fired = fired;
        return w;
    }

    /** A V1 contributor map: count, then (UTF key, long) pairs. */
    private static void skipMap(DataInput in) throws IOException {
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            in.readUTF();
            in.readLong();
        }
    }
}
