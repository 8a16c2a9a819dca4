package dev.tokenmin.stream.spend;

import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.stream.serde.InternalSerdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
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
 * one machine (thousands of users, a call every few seconds each): summing those would only add a changelog write and
 * a delete per key and flush, which measured slower than sending them on.
 * The price of summing is latency: a sum waits up to one interval before it is counted.
 *
 * <p>Exactly once: the sums wait in a logged state store (in memory, with Kafka Streams' record cache, so a key
 * updated many times between commits is one changelog record per commit). A flush forwards and deletes them within
 * the task, so the forwarded deltas, the deletions and the input offsets commit in one transaction; after a crash the
 * store is restored to the last commit and the events after it are processed again: nothing lost, nothing counted
 * twice.
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
     * Adds the store a buffer flushing every {@code flushEvery} needs to {@code builder} (in memory, logged, cached;
     * none when it does not buffer) and returns the names to connect to the processor.
     */
    public static String[] addStore(StreamsBuilder builder, String name, Duration flushEvery) {
        if (flushEvery.isZero()) {
            return new String[0];
        }
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name),
                InternalSerdes.deltaKey(), InternalSerdes.spendDelta()).withCachingEnabled());
        return new String[] {name};
    }

    private final Function<UsageEvent, List<Target>> targets;
    private final String storeName;
    private final boolean withUsers;
    private final Duration flushEvery;
    private ProcessorContext<String, SpendDelta> context;
    private KeyValueStore<Key, SpendDelta> sums;
    /** The store's content as objects: what is summed and not yet forwarded. */
    private final Map<Key, SpendDelta> pending = new HashMap<>();

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
            sums = context.getStateStore(storeName);
            pending.clear(); // a task started again (after a rebalance or an aborted transaction) reads its store anew
            try (KeyValueIterator<Key, SpendDelta> restored = sums.all()) {
                restored.forEachRemaining(kv -> pending.put(kv.key, kv.value));
            }
            context.schedule(flushEvery, PunctuationType.WALL_CLOCK_TIME, now -> flush());
        }
    }

    @Override
    public void process(Record<String, PricedUsage> record) {
        SpendDelta one = SpendDelta.of(record.value(), withUsers);
        for (Target target : targets.apply(record.value().getEvent())) {
            if (sums == null || !target.summed()) {
                context.forward(new Record<>(target.key(), one, one.lastAt()));
                continue;
            }
            Key key = new Key(one.minute(), target.key());
            SpendDelta sum = pending.merge(key, one, SpendDelta::plus);
            sums.put(key, sum);
        }
    }

    /** Forwards every sum, a key's minutes in time order, and empties the store. */
    private void flush() {
        List<Map.Entry<Key, SpendDelta>> all = new ArrayList<>(pending.entrySet());
        all.sort(Map.Entry.comparingByKey(IN_TIME_ORDER));
        for (Map.Entry<Key, SpendDelta> sum : all) {
            context.forward(new Record<>(sum.getKey().key(), sum.getValue(), sum.getValue().lastAt()));
            sums.delete(sum.getKey());
        }
        pending.clear();
    }

}
