package dev.tokenmin.stream.spend;

import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.WindowKind;
import dev.tokenmin.stream.serde.InternalSerdes;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.TimestampedWindowStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * Spend per scope and window: the spend counted in a scope ({@link SpendDelta}: the sum of events of one minute) adds
 * to its scope's minute, hour, day and calendar month (UTC) windows or, for a session scope, to the session's
 * whole-life total (a session is an agent run or a chat, minutes to hours long: its total is what a session budget
 * caps; its calendar windows would only repeat its user's). Updates go to the spend topic at most once per
 * {@code publishEvery} per scope (wall clock), each window as its own record, keyed {@code scope|KIND|start}; the
 * values are totals, so publishing one again is harmless.
 *
 * <p>Why a processor of its own rather than one DSL window aggregation per kind: five aggregations cost five store
 * reads and writes per event and scope, and a changelog record each per scope and commit; here a scope's latest
 * windows are one entry ({@link LatestWindows}), read and written once per event, logged once per commit. A window
 * leaves that entry when an event of a later window of its kind arrives; it is then written, with its final figure,
 * to its kind's window store (kept as long as the DSL stores kept them) and published. An event of an older window
 * still within the grace period updates that window in the store directly; one past it does not count in that
 * window (as in Kafka Streams' windowed aggregations; see {@link LateEvents}).
 *
 * <p>Crash safety: which scopes have changes not yet published is itself a logged store, so after a crash the spend
 * topic still receives every change committed before it. Publications are numbered (generations): a scope's first
 * change after a publication writes the current generation as its mark, and each publication writes one marker, the
 * number of the generation it published (in the same transaction as the spend records it sent). A mark above the
 * marker is unpublished; marks are overwritten, never deleted, so a changed scope costs one store write and one
 * changelog record per publication instead of a write and a delete (a profile put the deletes at 3.8% of the stream
 * thread), at the price of one small entry per scope the task has counted, as the latest windows have. The processor
 * keeps the unpublished set in memory (loaded when a task starts, after its restore, by one pass over the marks),
 * with each scope's latest figures, and publishing reads nothing back from the stores. Marks written before
 * generations (the scope's event time as value, no marker) are all unpublished: published, then deleted, once.
 */
public final class ScopeSpendProcessor implements Processor<String, SpendDelta, String, SpendAggregate> {

    private static final String SESSION_PREFIX = "session:";
    /** The marks store's key for the number of the last published generation: no scope key starts with NUL. */
    static final String PUBLISHED_MARKER = "\u0000published";

    /** The stores: latest windows per scope, scopes with unpublished changes, sessions, and closed windows. */
    public record StoreNames(String latest, String unpublished, String sessions, Map<WindowKind, String> closed) {
    }

    /** How long closed windows of each kind are kept (an hour's for a month and its grace: see the budgets). */
    public static Duration retention(WindowKind kind) {
        return switch (kind) {
            case MINUTE -> Duration.ofDays(1);
            case HOUR -> Duration.ofDays(35);
            case DAY -> Duration.ofDays(40);
            case MONTH -> Duration.ofDays(400);
            case SESSION -> throw new IllegalArgumentException("sessions are kept in a key-value store");
        };
    }

    /**
     * The stores, the three written per event with Kafka Streams' record cache, so that a scope changed many times
     * between commits costs one changelog record per commit, not one per event.
     */
    public static List<StoreBuilder<?>> storeBuilders(StoreNames names) {
        List<StoreBuilder<?>> builders = new ArrayList<>();
        builders.add(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(names.latest()), Serdes.String(),
                InternalSerdes.latestWindows()).withCachingEnabled());
        builders.add(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(names.unpublished()),
                Serdes.String(), Serdes.Long()).withCachingEnabled());
        builders.add(Stores.timestampedKeyValueStoreBuilder(Stores.persistentTimestampedKeyValueStore(
                names.sessions()), Serdes.String(), InternalSerdes.spendAggregate()).withCachingEnabled());
        for (WindowKind kind : LatestWindows.KINDS) {
            // A month's window store is sized for the longest month; windows are fetched by their start.
            Duration size = kind == WindowKind.MONTH ? Duration.ofDays(31)
                    : Duration.ofMillis(LatestWindows.endOf(kind, 0) - LatestWindows.startOf(kind, 0));
            builders.add(Stores.timestampedWindowStoreBuilder(Stores.persistentTimestampedWindowStore(
                            names.closed().get(kind), retention(kind), size, false), Serdes.String(),
                    InternalSerdes.spendAggregate()).withCachingDisabled());
        }
        return builders;
    }

    private final StoreNames names;
    private final long graceMs;
    private final Duration publishEvery;
    private ProcessorContext<String, SpendAggregate> context;
    private KeyValueStore<String, LatestWindows> latest;
    private KeyValueStore<String, Long> unpublished;
    private TimestampedKeyValueStore<String, SpendAggregate> sessions;
    private final Map<WindowKind, TimestampedWindowStore<String, SpendAggregate>> closed =
            new EnumMap<>(WindowKind.class);
    /**
     * The scopes marked unpublished, with their figures as last written (null for a scope marked before the task
     * started: read from its store when published).
     */
    private final Map<String, LatestWindows> changedWindows = new HashMap<>();
    private final Map<String, SpendAggregate> changedSessions = new HashMap<>();
    /** The generation being collected: the next publication's number. */
    private long generation;
    /** Marks in the format before generations, deleted at the next publication. */
    private final List<String> legacyMarks = new ArrayList<>();

    public ScopeSpendProcessor(StoreNames names, Duration grace, Duration publishEvery) {
        this.names = names;
        this.graceMs = grace.toMillis();
        this.publishEvery = publishEvery;
    }

    @Override
    public void init(ProcessorContext<String, SpendAggregate> context) {
        this.context = context;
        latest = context.getStateStore(names.latest());
        unpublished = context.getStateStore(names.unpublished());
        sessions = context.getStateStore(names.sessions());
        for (WindowKind kind : LatestWindows.KINDS) {
            closed.put(kind, context.getStateStore(names.closed().get(kind)));
        }
        changedWindows.clear();
        changedSessions.clear();
        legacyMarks.clear();
        Long published = unpublished.get(PUBLISHED_MARKER);
        generation = published == null ? 1 : published + 1;
        try (KeyValueIterator<String, Long> marks = unpublished.all()) {
            while (marks.hasNext()) {
                var mark = marks.next();
                if (mark.key.equals(PUBLISHED_MARKER) || (published != null && mark.value <= published)) {
                    continue; // published already
                }
                (isSession(mark.key) ? changedSessions : changedWindows).put(mark.key, null);
                if (published == null) {
                    legacyMarks.add(mark.key);
                }
            }
        }
        context.schedule(publishEvery, PunctuationType.WALL_CLOCK_TIME, now -> publishChanged());
    }

    @Override
    public void process(Record<String, SpendDelta> record) {
        String scope = record.key();
        SpendDelta u = record.value();
        boolean marked;
        if (isSession(scope)) {
            marked = changedSessions.containsKey(scope);
            changedSessions.put(scope, addToSession(scope, u));
        } else {
            marked = changedWindows.containsKey(scope);
            changedWindows.put(scope, addToWindows(scope, u, context.currentStreamTimeMs()));
        }
        if (!marked) {
            unpublished.put(scope, generation);
        }
    }

    /** Whether {@code scope} is a session's: counted over its whole life, not in calendar windows. */
    public static boolean isSession(String scope) {
        return scope.startsWith(SESSION_PREFIX);
    }

    /** Adds {@code u} to the scope's windows; returns its latest windows as stored. */
    private LatestWindows addToWindows(String scope, SpendDelta u, long streamTime) {
        LatestWindows windows = latest.get(scope);
        if (windows == null) {
            windows = new LatestWindows();
        }
        for (WindowKind kind : LatestWindows.KINDS) {
            long start = LatestWindows.startOf(kind, u.firstAt()); // all of u is in this minute, hour, day, month
            if (LatestWindows.endOf(kind, start) + graceMs <= streamTime) {
                continue; // past the grace period of this window: not counted in it (LateEvents reports it)
            }
            SpendAggregate current = windows.get(kind);
            long currentStart = current == null ? Long.MIN_VALUE : current.getWindowStart().toEpochMilli();
            if (start == currentStart) {
                SpendAggregates.add(current, u);
            } else if (start > currentStart) {
                if (current != null) {
                    closeWindow(current);
                }
                windows.set(SpendAggregates.add(LatestWindows.emptyWindow(scope, kind, start), u));
            } else {
                addToClosedWindow(scope, kind, start, u);
            }
        }
        latest.put(scope, windows);
        return windows;
    }

    /** A window an event of a later one replaced: kept in its kind's store, and published with its last figure. */
    private void closeWindow(SpendAggregate window) {
        long start = window.getWindowStart().toEpochMilli();
        long timestamp = window.getUpdatedAt().toEpochMilli();
        closed.get(window.getWindowKind()).put(window.getScope(), ValueAndTimestamp.make(window, timestamp), start);
        publish(window);
    }

    /** An event of an earlier window than the latest, within its grace period: that window is updated in place. */
    private void addToClosedWindow(String scope, WindowKind kind, long start, SpendDelta u) {
        TimestampedWindowStore<String, SpendAggregate> store = closed.get(kind);
        ValueAndTimestamp<SpendAggregate> old = store.fetch(scope, start);
        SpendAggregate window = SpendAggregates.add(
                old == null ? LatestWindows.emptyWindow(scope, kind, start) : old.value(), u);
        store.put(scope, ValueAndTimestamp.make(window, window.getUpdatedAt().toEpochMilli()), start);
        publish(window);
    }

    /** Adds {@code u} to the session's total; returns it as stored. */
    private SpendAggregate addToSession(String scope, SpendDelta u) {
        ValueAndTimestamp<SpendAggregate> old = sessions.get(scope);
        SpendAggregate sum = SpendAggregates.add(old == null ? SpendAggregates.empty() : old.value(), u);
        Instant first = Instant.ofEpochMilli(u.firstAt());
        Instant last = Instant.ofEpochMilli(u.lastAt());
        if (old == null || first.isBefore(sum.getWindowStart())) {
            sum.setWindowStart(first);
        }
        if (!last.isBefore(sum.getWindowEnd())) {
            sum.setWindowEnd(last.plusMillis(1));
        }
        sum.setScope(scope);
        sum.setWindowKind(WindowKind.SESSION);
        sessions.put(scope, ValueAndTimestamp.make(sum, sum.getUpdatedAt().toEpochMilli()));
        return sum;
    }

    /** Publishes the latest windows (and session total) of every scope changed since the last time. */
    private void publishChanged() {
        for (Map.Entry<String, SpendAggregate> changed : changedSessions.entrySet()) {
            SpendAggregate session = changed.getValue();
            if (session == null) {
                ValueAndTimestamp<SpendAggregate> stored = sessions.get(changed.getKey());
                session = stored == null ? null : stored.value();
            }
            if (session != null) {
                publish(session);
            }
        }
        for (Map.Entry<String, LatestWindows> changed : changedWindows.entrySet()) {
            LatestWindows windows = changed.getValue() != null ? changed.getValue() : latest.get(changed.getKey());
            for (WindowKind kind : LatestWindows.KINDS) {
                SpendAggregate window = windows == null ? null : windows.get(kind);
                if (window != null) {
                    publish(window);
                }
            }
        }
        if (changedSessions.isEmpty() && changedWindows.isEmpty()) {
            return; // nothing to number: no marker write while idle
        }
        legacyMarks.forEach(unpublished::delete);
        legacyMarks.clear();
        unpublished.put(PUBLISHED_MARKER, generation++);
        changedSessions.clear();
        changedWindows.clear();
    }

    private void publish(SpendAggregate window) {
        String key = window.getWindowKind() == WindowKind.SESSION ? SpendAggregates.sessionKey(window.getScope())
                : SpendAggregates.key(window.getScope(), window.getWindowKind(), window.getWindowStart());
        context.forward(new Record<>(key, window, window.getUpdatedAt().toEpochMilli()));
    }

    /**
     * The scope's window of {@code kind} that starts at {@code start}: its latest if that is the one, else the
     * closed window from {@code closedWindow}; null if it has none. For readers of the stores (budgets, queries).
     */
    public static SpendAggregate window(LatestWindows windows, WindowKind kind, long start,
                                        LongFunction<SpendAggregate> closedWindow) {
        SpendAggregate current = windows == null ? null : windows.get(kind);
        if (current != null && current.getWindowStart().toEpochMilli() == start) {
            return current;
        }
        return closedWindow.apply(start);
    }
}
