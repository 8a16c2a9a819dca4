package dev.tokenmin.stream.spend;

import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.UsageEvent;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Sums priced events per key (a scope, or an anomaly dimension) and minute, and forwards the sums ({@link SpendDelta}),
 * keyed by scope or dimension, every {@code flushEvery} of wall-clock time. Keys an event rarely shares with others
 * between two flushes (a user's, a session's) are not summed: their events go on at once, each a delta of its own,
 * as they all do with a zero interval.
 *
 * <p>Why: counting repartitioned every event once per scope (six) and once per anomaly dimension (four), and
 * processing those records was most of the app's work (docs/benchmarks.md). Summed here, before the repartition,
 * a scope or dimension that many events touch between two flushes (global, a customer, a feature, a team, a model)
 * costs one record per flush, whatever the rate. A user or a session is touched about once per flush at the rates of
 * one machine (thousands of users, a call every few seconds each): summing those saves almost no records. (When each
 * sum was its own changelog record, before the journal below, summing them measured slower than sending them on; with
 * the journal an event costs one journal record whatever it is summed into, and summing them measured the same as not:
 * 2.84 by-scope records per event instead of 2.9, docs/benchmarks.md. At rates where a user calls several times per
 * flush, it would pay.)
 * The price of summing is latency: a sum waits up to one interval before it is counted.
 *
 * <p>Exactly once: the sums are kept as objects, and each summed event is written to a logged, in-memory store (its
 * {@link DeltaJournal}: one record per event, whatever the number of keys it counts in). A flush forwards the sums and
 * starts the journal's next generation within the task, so the forwarded deltas, the journal and the input offsets
 * commit in one transaction; after a crash the store is restored to the last commit, the task sums its journal's
 * current generation again, and the events after the commit are processed again: nothing lost, nothing counted twice.
 * Reading the sums back from a store per event, and writing each of them, was a third of the stream thread's time and
 * four changelog records per event (docs/benchmarks.md).
 */
public final class SpendDeltaBuffer implements Processor<String, PricedUsage, String, SpendDelta> {

    /** A key an event counts in, and whether its events are summed between flushes or go on at once. */
    public record Target(String key, boolean summed) {
    }

    /** A buffered sum's key: its minute first, so that a flush forwards a key's minutes in time order. */
    public record Key(long minute, String key) {
    }

    /** The order sums are forwarded in: minute, then key. */
    private static final Comparator<Key> IN_TIME_ORDER = Comparator.comparingLong(Key::minute).thenComparing(Key::key);

    /**
     * Adds the store a buffer flushing every {@code flushEvery} needs to {@code builder} (in memory, logged, without
     * the record cache: the journal is written once per event and never read but at a task's start; none when it does
     * not buffer) and returns the names to connect to the processor.
     */
    public static String[] addStore(StreamsBuilder builder, String name, Duration flushEvery) {
        if (flushEvery.isZero()) {
            return new String[0];
        }
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name),
                Serdes.Bytes(), Serdes.ByteArray()).withCachingDisabled());
        return new String[] {name};
    }

    private final Function<UsageEvent, List<Target>> targets;
    private final String storeName;
    private final boolean withUsers;
    private final Duration flushEvery;
    private ProcessorContext<String, SpendDelta> context;
    private DeltaJournal journal;
    /** What is summed and not yet forwarded. */
    private final Map<Key, DeltaSum> pending = new HashMap<>();
    /** Sums an earlier version stored, to delete at the next flush. */
    private final List<Bytes> legacy = new ArrayList<>();
    private long generation;
    private int nextSlot;

    /**
     * @param targets    the scopes or dimensions an event counts in
     * @param storeName  the store of the sums (see {@link #addStore})
     * @param withUsers  whether deltas carry their top users' costs (anomaly dimensions)
     * @param flushEvery how long sums wait (wall clock); zero: none, every event goes on at once
     */
    public SpendDeltaBuffer(Function<UsageEvent, List<Target>> targets, String storeName, boolean withUsers,
                            Duration flushEvery) {
        this.targets = targets;
        this.storeName = storeName;
        this.withUsers = withUsers;
        this.flushEvery = flushEvery;
    }

    @Override
    public void init(ProcessorContext<String, SpendDelta> context) {
        this.context = context;
        if (!flushEvery.isZero()) {
            KeyValueStore<Bytes, byte[]> store = context.getStateStore(storeName);
            journal = new DeltaJournal(store);
            // A task started again (after a rebalance or an aborted transaction) reads its restored store anew.
            pending.clear();
            DeltaJournal.Restored restored = journal.restore(this::sum);
            legacy.clear();
            legacy.addAll(restored.legacyKeys());
            generation = restored.generation();
            nextSlot = restored.nextSlot();
            context.schedule(flushEvery, PunctuationType.WALL_CLOCK_TIME, now -> flush());
        }
    }

    @Override
    public void process(Record<String, PricedUsage> record) {
        SpendDelta one = SpendDelta.of(record.value(), withUsers);
        List<String> summed = null;
        for (Target target : targets.apply(record.value().getEvent())) {
            if (journal == null || !target.summed()) {
                context.forward(new Record<>(target.key(), one, one.lastAt()));
                continue;
            }
            sum(new Key(one.minute(), target.key()), one);
            if (summed == null) {
                summed = new ArrayList<>(4);
            }
            summed.add(target.key());
        }
        if (summed != null) {
            journal.append(generation, nextSlot++, one, summed);
        }
    }

    private void sum(Key key, SpendDelta delta) {
        pending.computeIfAbsent(key, k -> new DeltaSum()).add(delta);
    }

    /** Forwards every sum, a key's minutes in time order, and starts the journal's next generation. */
    private void flush() {
        if (pending.isEmpty()) {
            return;
        }
        List<Map.Entry<Key, DeltaSum>> all = new ArrayList<>(pending.entrySet());
        all.sort(Map.Entry.comparingByKey(IN_TIME_ORDER));
        for (Map.Entry<Key, DeltaSum> sum : all) {
            SpendDelta delta = sum.getValue().toDelta();
            context.forward(new Record<>(sum.getKey().key(), delta, delta.lastAt()));
        }
        pending.clear();
        legacy.forEach(journal::deleteLegacy);
        legacy.clear();
        journal.startGeneration(++generation);
        nextSlot = 0;
    }
}
