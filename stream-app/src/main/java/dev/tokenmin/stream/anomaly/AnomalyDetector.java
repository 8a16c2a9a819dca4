package dev.tokenmin.stream.anomaly;

import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.WindowKind;
import dev.tokenmin.stream.spend.CalendarMonthWindows;
import dev.tokenmin.stream.spend.SpendDelta;
import dev.tokenmin.stream.topology.MeteringCounters;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Watches each dimension's spend in event-time hourly and daily windows (UTC) and its month so far, and raises an
 * ANOMALY alert the first time a window reaches the dimension's threshold (default 4x) times its baseline and the
 * minimum spend.
 * <p>
 * Baseline: the <em>median</em> spend of the comparable windows before it (the 24 hours before an hour, the 7 days
 * before a day; hours and days without spend count as zero), and once two weeks are known, at least the median of
 * the same hour of the week (or the same weekday) over up to four weeks, so a weekly rhythm is not an anomaly. The
 * median, not the mean: one earlier spike does not raise the bar for the next, and ±50% noise moves it little.
 * Month to date is compared with the same days of last month, once the whole of last month was seen. A window is
 * judged as it fills: it fires when its spend so far reaches the threshold against a whole window's baseline, so
 * the alert comes within the spiking window, and never twice for one window (its id is stable too). A dimension
 * younger than its minimum history, or whose baseline is zero, is not judged.
 * <p>
 * What moved is read from the window against the sums of its baseline windows: request volume, prompt tokens per
 * request (context inflation), output tokens per request, and cost per billed token (model mix); largest first.
 */
public final class AnomalyDetector implements Processor<String, SpendDelta, String, Alert> {

    static final long HOUR = Duration.ofHours(1).toMillis();
    static final long DAY = Duration.ofDays(1).toMillis();
    static final long WEEK = Duration.ofDays(7).toMillis();
    private static final Logger LOG = LoggerFactory.getLogger(AnomalyDetector.class);
    private static final BigInteger MICROS = BigInteger.valueOf(1_000_000);

    /** The state stores it uses, by name. */
    public record StoreNames(String state, String hourly, String daily, String contributors) {
    }

    private final StoreNames names;
    private final AnomalyConfig config;
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, AnomalyState> states;
    private WindowStore<String, Bucket> hourly;
    private WindowStore<String, Bucket> daily;
    /** Spend per model and per user of each open window: {@code dimension|H|start|m:model} (or {@code u:user}). */
    private KeyValueStore<String, Long> contributors;

    public AnomalyDetector(StoreNames names, AnomalyConfig config) {
        this.names = names;
        this.config = config;
    }

    /**
     * The stores it needs: its per-dimension state, the open windows' contributors, closed hourly windows kept four
     * weeks and a week (for the same hour of the week), closed daily windows kept for this month and the last.
     * The two written per event use Kafka Streams' record cache: one changelog record per key and commit.
     */
    public static List<StoreBuilder<?>> storeBuilders(StoreNames names) {
        return List.of(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(names.state()),
                        Serdes.String(), AnomalyState.serde()).withCachingEnabled(),
                Stores.windowStoreBuilder(
                        Stores.persistentWindowStore(names.hourly(),
                                Duration.ofDays(36), Duration.ofMillis(HOUR), false), Serdes.String(), Bucket.serde()),
                Stores.windowStoreBuilder(
                        Stores.persistentWindowStore(names.daily(),
                                Duration.ofDays(70), Duration.ofMillis(DAY), false), Serdes.String(), Bucket.serde()),
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(names.contributors()), Serdes.String(), Serdes.Long())
                        .withCachingEnabled());
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        this.context = context;
        states = context.getStateStore(names.state());
        hourly = context.getStateStore(names.hourly());
        daily = context.getStateStore(names.daily());
        contributors = context.getStateStore(names.contributors());
    }

    @Override
    public void process(Record<String, SpendDelta> record) {
        String key = record.key();
        SpendDelta u = record.value();
        long t = u.firstAt(); // all of u is of one minute, hence of one hour and one day
        AnomalyState s = states.get(key);
        if (s == null) {
            s = new AnomalyState();
            s.firstSeen = t;
        }
        s.firstSeen = Math.min(s.firstSeen, t);
        String dimension = Dimensions.dimensionOf(key);

        long hourStart = Math.floorDiv(t, HOUR) * HOUR;
        if (s.hour != null && hourStart < s.hour.start) {
            addLate(hourly, key, hourStart, u);
        } else {
            if (s.hour == null || hourStart > s.hour.start) {
                if (s.hour != null) {
                    hourly.put(key, s.hour.totals, s.hour.start);
                    forget(key, WindowKind.HOUR, s.hour.start);
                }
                s.hour = new AnomalyState.Window(hourStart, baseline(key, hourly, hourStart, HOUR, 24,
                        config.minHistoryHours() * HOUR, s.firstSeen));
            }
            s.hour.add(u);
            contribute(key, WindowKind.HOUR, s.hour.start, u);
            judge(key, dimension, WindowKind.HOUR, s.hour, HOUR, record);
        }

        long dayStart = Math.floorDiv(t, DAY) * DAY;
        if (s.day != null && dayStart < s.day.start) {
            addLate(daily, key, dayStart, u);
        } else {
            if (s.day == null || dayStart > s.day.start) {
                if (s.day != null) {
                    daily.put(key, s.day.totals, s.day.start);
                    forget(key, WindowKind.DAY, s.day.start);
                }
                s.day = new AnomalyState.Window(dayStart, baseline(key, daily, dayStart, DAY, 7,
                        config.minHistoryDays() * DAY, s.firstSeen));
                openMonth(key, s, dayStart);
            }
            s.day.add(u);
            contribute(key, WindowKind.DAY, s.day.start, u);
            judge(key, dimension, WindowKind.DAY, s.day, DAY, record);
            judgeMonth(key, dimension, s, record);
        }
        states.put(key, s);
    }

    private static String prefix(String key, WindowKind kind, long start) {
        return key + "|" + kind.name().charAt(0) + "|" + start + "|";
    }

    /** Adds the cost of {@code u}'s models and users to their spend in the open window. */
    private void contribute(String key, WindowKind kind, long start, SpendDelta u) {
        String prefix = prefix(key, kind, start);
        for (SpendDelta.ModelDelta m : u.byModel()) {
            add(prefix + "m:" + m.provider() + "/" + m.model(), m.costNanos());
        }
        u.userCosts().forEach((user, cost) -> add(prefix + "u:" + user, cost));
    }

    private void add(String contributor, long cost) {
        Long before = contributors.get(contributor);
        contributors.put(contributor, before == null ? cost : before + cost);
    }

    /** Per-model ({@code m:}) or per-user ({@code u:}) spend of an open window, by model or user. */
    private Map<String, Long> contributors(String key, WindowKind kind, long start, String type) {
        String prefix = prefix(key, kind, start) + type;
        Map<String, Long> found = new HashMap<>();
        try (KeyValueIterator<String, Long> it = contributors.prefixScan(prefix, Serdes.String().serializer())) {
            while (it.hasNext()) {
                KeyValue<String, Long> kv = it.next();
                found.put(kv.key.substring(prefix.length()), kv.value);
            }
        }
        return found;
    }

    /** Drops a closed window's contributors. */
    private void forget(String key, WindowKind kind, long start) {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = contributors.prefixScan(prefix(key, kind, start),
                Serdes.String().serializer())) {
            while (it.hasNext()) {
                keys.add(it.next().key);
            }
        }
        keys.forEach(contributors::delete);
    }

    private static void addLate(WindowStore<String, Bucket> history, String key, long start, SpendDelta u) {
        Bucket b = history.fetch(key, start);
        if (b == null) {
            b = new Bucket();
        }
        b.add(u);
        history.put(key, b, start);
    }

    /** The baseline of the window at {@code start}, or null while the dimension is younger than its minimum history. */
    private static AnomalyState.Baseline baseline(String key, WindowStore<String, Bucket> history, long start,
                                                  long size, int trailing, long minHistory, long firstSeen) {
        long known = Math.floorDiv(firstSeen, size) * size;
        if (start - known < minHistory) {
            return null;
        }
        long from = Math.max(start - trailing * size, known);
        Map<Long, Bucket> found = new HashMap<>();
        try (WindowStoreIterator<Bucket> it = history.fetch(key, from, start - 1)) {
            while (it.hasNext()) {
                KeyValue<Long, Bucket> kv = it.next();
                found.put(kv.key, kv.value);
            }
        }
        List<Long> costs = new ArrayList<>();
        Bucket sums = new Bucket();
        for (long w = from; w < start; w += size) {
            Bucket b = found.get(w);
            costs.add(b == null ? 0 : b.cost);
            if (b != null) {
                sums.add(b);
            }
        }
        long median = median(costs);
        if (start - known >= 2 * WEEK) {
            List<Long> sameTimeOfWeek = new ArrayList<>();
            for (int weeks = 1; weeks <= 4 && start - weeks * WEEK >= known; weeks++) {
                Bucket b = history.fetch(key, start - weeks * WEEK);
                sameTimeOfWeek.add(b == null ? 0 : b.cost);
            }
            median = Math.max(median, median(sameTimeOfWeek));
        }
        return new AnomalyState.Baseline(median, costs.size(), sums);
    }

    static long median(List<Long> values) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** At a new day: the month's spend before it, and last month's over the same days (when all of it was seen). */
    private void openMonth(String key, AnomalyState s, long dayStart) {
        long monthStart = CalendarMonthWindows.monthOf(dayStart).start();
        if (monthStart != s.monthStart) {
            s.monthStart = monthStart;
            s.monthFired = false;
        }
        s.monthBeforeToday = sum(key, monthStart, dayStart);
        long previous = CalendarMonthWindows.monthOf(monthStart - 1).start();
        long sameDaysEnd = Math.min(previous + (dayStart - monthStart) + DAY, monthStart);
        boolean lastMonthSeen = Math.floorDiv(s.firstSeen, DAY) * DAY <= previous
                && dayStart - s.firstSeen >= config.minHistoryDays() * DAY;
        s.lastMonthSameDays = lastMonthSeen ? sum(key, previous, sameDaysEnd) : -1;
    }

    private long sum(String key, long from, long to) {
        long total = 0;
        try (WindowStoreIterator<Bucket> it = daily.fetch(key, from, to - 1)) {
            while (it.hasNext()) {
                total = Math.addExact(total, it.next().value.cost);
            }
        }
        return total;
    }

    private void judge(String key, String dimension, WindowKind kind, AnomalyState.Window w, long size,
                       Record<String, SpendDelta> record) {
        if (w.fired || w.baseline == null || w.baseline.medianCost() <= 0 || w.totals.cost < config.minSpendNanos()) {
            return;
        }
        long ratio = ratioMicros(w.totals.cost, w.baseline.medianCost());
        if (ratio < config.thresholdMicros(dimension)) {
            return;
        }
        w.fired = true;
        raise(record, Anomalies.alert(key, dimension, kind, w.start, w.start + size, w.totals,
                w.baseline.medianCost(), ratio, w.baseline.windows(), w.baseline.sums(),
                contributors(key, kind, w.start, "m:"), contributors(key, kind, w.start, "u:"),
                Instant.ofEpochMilli(context.currentSystemTimeMs())));
    }

    private void judgeMonth(String key, String dimension, AnomalyState s, Record<String, SpendDelta> record) {
        if (s.monthFired || s.lastMonthSameDays <= 0) {
            return;
        }
        long soFar = s.monthBeforeToday + s.day.totals.cost;
        if (soFar < config.minSpendNanos()) {
            return;
        }
        long ratio = ratioMicros(soFar, s.lastMonthSameDays);
        if (ratio < config.thresholdMicros(dimension)) {
            return;
        }
        s.monthFired = true;
        Bucket month = new Bucket();
        month.cost = soFar;
        raise(record, Anomalies.alert(key, dimension, WindowKind.MONTH, s.monthStart,
                CalendarMonthWindows.monthOf(s.monthStart).end(), month, s.lastMonthSameDays, ratio, 0, null,
                contributors(key, WindowKind.DAY, s.day.start, "m:"), contributors(key, WindowKind.DAY, s.day.start,
                        "u:"), Instant.ofEpochMilli(context.currentSystemTimeMs())));
    }

    private void raise(Record<String, SpendDelta> record, Alert alert) {
        MeteringCounters.ALERTS.incrementAndGet();
        LOG.warn("alert {}: {}", alert.getAlertId(), alert.getSummary());
        context.forward(new Record<>(alert.getScope(), alert, record.timestamp()));
    }

    /** {@code value / base} in millionths, exactly, saturating at {@link Long#MAX_VALUE}. */
    static long ratioMicros(long value, long base) {
        BigInteger r = BigInteger.valueOf(value).multiply(MICROS).divide(BigInteger.valueOf(base));
        return r.bitLength() < 63 ? r.longValue() : Long.MAX_VALUE;
    }
}
