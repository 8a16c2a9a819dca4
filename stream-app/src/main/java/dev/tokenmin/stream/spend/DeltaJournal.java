package dev.tokenmin.stream.spend;

import dev.tokenmin.stream.serde.InternalSerdes;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * What a {@link SpendDeltaBuffer} writes to its logged store so that a crash loses none of its sums: one entry per
 * summed event (its delta and the keys it was summed into), not the sums themselves. An event is then one changelog
 * record per buffer, where rewriting each of its four sums was four (the record cache, full of the scopes' state at
 * any real number of users, wrote each put through: docs/benchmarks.md).
 *
 * <p>Entries live in numbered slots, written from 0 up within a generation; a flush starts the next generation by
 * writing the marker, in the transaction that forwards the sums, and the next events overwrite the slots from 0. After
 * a restore, the entries of the marker's generation are the events summed and not yet forwarded; entries of earlier
 * generations are leftovers in slots not yet reused (at most one flush interval's events), ignored. Keys: the marker
 * is one byte, a slot 8 (its number, big-endian).
 *
 * <p>Before journaling, the store held the sums themselves (keys of {@link InternalSerdes#deltaKey()}, 10 bytes or
 * more, values of {@link InternalSerdes#spendDelta()}). A store restored with such sums from an earlier version
 * counts them too, and they are deleted at the next flush, so an upgrade loses nothing.
 */
final class DeltaJournal {

    private static final Bytes MARKER = Bytes.wrap(new byte[] {0});
    private static final int SLOT_KEY_LENGTH = Long.BYTES;

    /**
     * What a task finds in its store when it starts: the generation to go on with, its next free slot, and the keys of
     * sums an earlier version stored; the deltas not yet forwarded go to the {@code summed} callback of {@link #restore}.
     */
    record Restored(long generation, int nextSlot, List<Bytes> legacyKeys) {
    }

    private final KeyValueStore<Bytes, byte[]> store;

    DeltaJournal(KeyValueStore<Bytes, byte[]> store) {
        this.store = store;
    }

    /** Records that {@code delta} was summed into {@code keys} in {@code generation}. */
    void append(long generation, int slot, SpendDelta delta, List<String> keys) {
        store.put(slotKey(slot), InternalSerdes.encodeJournalEntry(generation, keys, delta));
    }

    /** Starts {@code generation}: every entry of an earlier one has been forwarded. */
    void startGeneration(long generation) {
        store.put(MARKER, ByteBuffer.allocate(Long.BYTES).putLong(generation).array());
    }

    /** Deletes a sum an earlier version stored (see the class comment). */
    void deleteLegacy(Bytes key) {
        store.delete(key);
    }

    /**
     * Reads the store as a task starting finds it (after its restore), handing each delta summed and not yet forwarded
     * to {@code summed} with its key.
     */
    Restored restore(BiConsumer<SpendDeltaBuffer.Key, SpendDelta> summed) {
        byte[] marker = store.get(MARKER);
        long generation = marker == null ? 0 : ByteBuffer.wrap(marker).getLong();
        List<Bytes> legacy = new ArrayList<>();
        int nextSlot = 0;
        try (KeyValueIterator<Bytes, byte[]> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<Bytes, byte[]> kv = all.next();
                int length = kv.key.get().length;
                if (length == SLOT_KEY_LENGTH) {
                    InternalSerdes.JournalEntry entry = InternalSerdes.decodeJournalEntry(kv.value);
                    if (entry.generation() == generation) {
                        for (String key : entry.keys()) {
                            summed.accept(new SpendDeltaBuffer.Key(entry.delta().minute(), key), entry.delta());
                        }
                        nextSlot = Math.max(nextSlot, (int) ByteBuffer.wrap(kv.key.get()).getLong() + 1);
                    }
                } else if (length > SLOT_KEY_LENGTH) {
                    SpendDeltaBuffer.Key key = InternalSerdes.deltaKey().deserializer().deserialize(null, kv.key.get());
                    summed.accept(key, InternalSerdes.spendDelta().deserializer().deserialize(null, kv.value));
                    legacy.add(kv.key);
                } else if (!kv.key.equals(MARKER)) {
                    throw new SerializationException("delta buffer store key of " + length + " bytes");
                }
            }
        }
        return new Restored(generation, nextSlot, legacy);
    }

    private static Bytes slotKey(int slot) {
        return Bytes.wrap(ByteBuffer.allocate(SLOT_KEY_LENGTH).putLong(slot).array());
    }
}
