package dev.tokenmin.stream.anomaly;

import dev.tokenmin.stream.serde.InternalSerdes;
import dev.tokenmin.stream.spend.ScopedUsage;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/**
 * A dimension's open windows (the current hour and day, UTC, and the month so far), each with the baseline it is
 * judged against, computed once when the window opened, and whether it already fired. Kept per dimension in one
 * state store entry; closed windows go to the history stores as {@link Bucket}s.
 */
final class AnomalyState {

    /** Users kept per open window for "top contributors"; past this the smallest is dropped (approximate). */
    static final int MAX_USERS = 64;

    long firstSeen;
    Window hour;
    Window day;
    /** Month so far: its start, spend before today's window, last month's spend over the same days, fired. */
    long monthStart = Long.MIN_VALUE;
    long monthBeforeToday;
    long lastMonthSameDays = -1;
    boolean monthFired;

    /** An open window: its totals, per-model and per-user spend, its baseline (null: not judged), fired. */
    static final class Window {
        long start;
        final Bucket totals = new Bucket();
        final Map<String, Long> modelCost = new HashMap<>();
        final Map<String, Long> userCost = new HashMap<>();
        Baseline baseline;
        boolean fired;

        Window(long start, Baseline baseline) {
            this.start = start;
            this.baseline = baseline;
        }

        void add(ScopedUsage u) {
            totals.add(u);
            modelCost.merge(u.provider() + "/" + u.model(), u.costNanos(), Long::sum);
            if (u.userId() != null) {
                userCost.merge(u.userId(), u.costNanos(), Long::sum);
                if (userCost.size() > MAX_USERS) {
                    userCost.entrySet().stream().min(Map.Entry.comparingByValue(Comparator.naturalOrder()))
                            .ifPresent(smallest -> userCost.remove(smallest.getKey()));
                }
            }
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

    private void write(DataOutputStream out) throws IOException {
        out.writeByte(InternalSerdes.V1);
        out.writeLong(firstSeen);
        writeWindow(out, hour);
        writeWindow(out, day);
        out.writeLong(monthStart);
        out.writeLong(monthBeforeToday);
        out.writeLong(lastMonthSameDays);
        out.writeBoolean(monthFired);
    }

    private static AnomalyState read(DataInputStream in) throws IOException {
        InternalSerdes.version(in, "anomaly state");
        AnomalyState s = new AnomalyState();
        s.firstSeen = in.readLong();
        s.hour = readWindow(in);
        s.day = readWindow(in);
        s.monthStart = in.readLong();
        s.monthBeforeToday = in.readLong();
        s.lastMonthSameDays = in.readLong();
        s.monthFired = in.readBoolean();
        return s;
    }

    private static void writeWindow(DataOutputStream out, Window w) throws IOException {
        out.writeBoolean(w != null);
        if (w == null) {
            return;
        }
        out.writeLong(w.start);
        w.totals.write(out);
        writeMap(out, w.modelCost);
        writeMap(out, w.userCost);
        out.writeBoolean(w.fired);
        out.writeBoolean(w.baseline != null);
        if (w.baseline != null) {
            out.writeLong(w.baseline.medianCost());
            out.writeInt(w.baseline.windows());
            w.baseline.sums().write(out);
        }
    }

    private static Window readWindow(DataInputStream in) throws IOException {
        if (!in.readBoolean()) {
            return null;
        }
        long start = in.readLong();
        Bucket totals = Bucket.read(in);
        Map<String, Long> models = readMap(in);
        Map<String, Long> users = readMap(in);
        boolean fired = in.readBoolean();
        Baseline baseline = in.readBoolean() ? new Baseline(in.readLong(), in.readInt(), Bucket.read(in)) : null;
        Window w = new Window(start, baseline);
        w.totals.add(totals);
        w.modelCost.putAll(models);
        w.userCost.putAll(users);
        w.fired = fired;
        return w;
    }

    private static void writeMap(DataOutputStream out, Map<String, Long> map) throws IOException {
        out.writeInt(map.size());
        for (Map.Entry<String, Long> e : map.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeLong(e.getValue());
        }
    }

    private static Map<String, Long> readMap(DataInputStream in) throws IOException {
        int n = in.readInt();
        Map<String, Long> map = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            map.put(in.readUTF(), in.readLong());
        }
        return map;
    }
}
