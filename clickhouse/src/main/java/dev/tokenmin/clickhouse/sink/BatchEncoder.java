package dev.tokenmin.clickhouse.sink;

import com.clickhouse.data.ClickHouseFormat;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns a batch of records into the body of one {@code INSERT ... FORMAT <format>}, one row per record. Each record
 * is encoded as it arrives, so a batch waiting for its insert holds compact bytes, not decoded records (which the
 * garbage collector would copy at every young collection).
 */
public interface BatchEncoder<V> {

    /** The input format of the bytes a {@link Block} returns. */
    ClickHouseFormat format();

    /** An empty block for a new batch. */
    Block<V> newBlock();

    /** The rows of one batch, in the order they were added. */
    interface Block<V> {

        /**
         * Adds the record's row.
         *
         * @throws IllegalArgumentException when the record's value cannot become a row (the message names the field)
         */
        void add(ConsumerRecord<String, V> record);

        /** The body of the insert. */
        byte[] toBytes();
    }
}
