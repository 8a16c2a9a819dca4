package dev.tokenmin.stream.state;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBufferManager;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds the memory RocksDB takes outside the Java heap for all of the stream app's state stores: one block cache
 * shared by every store, holding their index and filter blocks as well as data, with the memtables charged to it
 * through one write buffer manager, so that the stores together stay within one budget.
 *
 * <p>Why: Kafka Streams' default gives every RocksDB instance (each store of each task, and each segment of a window
 * store) a block cache of its own (50 MiB) and up to three 16 MiB memtables, with index and filter blocks outside any
 * cache. tokenmin has about twenty stores per task, several of them window stores, so an instance's resident memory
 * grows with its tasks and its state (users, sessions) with no bound but the machine, and a container with a memory
 * limit is killed by it. This is the bounded configuration Kafka Streams' documentation describes for that case.
 *
 * <p>Kafka Streams makes one instance of this class per store and gives it the app's settings; the cache and the
 * write buffer manager are shared by every store asking for the same budget ({@link #BUDGET_BYTES}), for the life of
 * the JVM, and never closed: a store closing must not free what others use.
 */
public final class BoundedRocksDbMemory implements RocksDBConfigSetter {

    /** The app setting (in the Kafka Streams properties) with the budget in bytes. */
    public static final String BUDGET_BYTES = "tokenmin.rocksdb.memory.bytes";
    /** The share of the budget memtables may take before RocksDB flushes them. */
    static final double MEMTABLE_SHARE = 0.5;
    /** The cache's high-priority pool, for index and filter blocks: data blocks are evicted before them. */
    static final double INDEX_AND_FILTER_SHARE = 0.1;

    /** A budget's cache and write buffer manager, shared by every store that asks for that budget. */
    record Shared(Cache cache, WriteBufferManager writeBuffers) {
    }

    private static final Map<Long, Shared> SHARED = new ConcurrentHashMap<>();

    static {
        RocksDB.loadLibrary(); // the cache is made before the first store opens, which would load it otherwise
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        Shared shared = shared(budget(configs));
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(shared.cache());
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setTableFormatConfig(table);
        options.setWriteBufferManager(shared.writeBuffers());
    }

    @Override
    public void close(String storeName, Options options) {
        // Nothing of the store's own: the cache and the write buffer manager are shared (see the class comment).
    }

    /** The bytes in the shared cache for {@code budget} (memtables included), or -1 when no store asked for it. */
    public static long usageBytes(long budget) {
        Shared shared = SHARED.get(budget);
        return shared == null ? -1 : shared.cache().getUsage();
    }

    static Shared shared(long budget) {
        return SHARED.computeIfAbsent(budget, b -> {
            Cache cache = new LRUCache(b, -1, false, INDEX_AND_FILTER_SHARE);
            return new Shared(cache, new WriteBufferManager((long) (b * MEMTABLE_SHARE), cache));
        });
    }

    static long budget(Map<String, Object> configs) {
        Object value = configs.get(BUDGET_BYTES);
        if (value == null) {
            throw new IllegalStateException(BUDGET_BYTES + " is not set: StreamAppConfig sets it with this class");
        }
        long budget = value instanceof Number n ? n.longValue() : Long.parseLong(value.toString());
        if (budget <= 0) {
            throw new IllegalStateException(BUDGET_BYTES + " must be positive, was " + budget);
        }
        return budget;
    }
}
