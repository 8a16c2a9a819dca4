package dev.tokenmin.stream.app;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;

import java.util.ArrayList;
import java.util.List;

/**
 * One set of tag keys for Kafka Streams' state store meters. Kafka Streams names a store by a tag whose key depends on
 * the store's type ({@code rocksdb-state-id}, {@code rocksdb-window-state-id}, {@code in-memory-state-id} and so on)
 * under the same metric names, such as {@code size-all-mem-tables} or {@code flush-latency-max}. Prometheus requires
 * every meter of a name to have the same tag keys, so without this the registry kept whichever type registered first,
 * dropped the meters of the other types (tokenmin has RocksDB key-value and window stores and in-memory ones) and
 * logged a warning at every start. This filter gives each such meter {@code state.id} (the store) and
 * {@code store.type} (Kafka Streams' name for the type: {@code rocksdb}, {@code rocksdb-window}, {@code in-memory},
 * ...) instead.
 */
final class StateStoreMeterTags implements MeterFilter {

    private static final String STATE_ID = "state.id";
    private static final String STORE_TYPE = "store.type";
    /** Micrometer's form of Kafka Streams' {@code <type>-state-id} tag keys. */
    private static final String STORE_TAG_SUFFIX = ".state.id";

    @Override
    public Meter.Id map(Meter.Id id) {
        for (Tag storeTag : id.getTagsAsIterable()) {
            String key = storeTag.getKey();
            if (key.endsWith(STORE_TAG_SUFFIX)) {
                List<Tag> tags = new ArrayList<>();
                for (Tag tag : id.getTagsAsIterable()) {
                    if (!tag.getKey().equals(key)) {
                        tags.add(tag);
                    }
                }
                tags.add(Tag.of(STATE_ID, storeTag.getValue()));
                tags.add(Tag.of(STORE_TYPE, key.substring(0, key.length() - STORE_TAG_SUFFIX.length())
                        .replace('.', '-')));
                return id.replaceTags(tags);
            }
        }
        return id;
    }
}
