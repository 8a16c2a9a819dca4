package dev.tokenmin.clickhouse.sink;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One block of ClickHouse's {@code Native} input format, built column by column: the body of an
 * {@code INSERT ... FORMAT Native}. Native is ClickHouse's own columnar layout, so the server copies each column
 * instead of parsing row by row; on the local engine it takes a usage_events batch in a fifth of the CPU that
 * RowBinary needs (docs/benchmarks.md).
 *
 * <p>Only the column types the sink writes are here. Columns the table declares {@code LowCardinality(String)} are
 * sent as {@code String}: ClickHouse converts a Native column to the table's type on insert
 * ({@code input_format_native_allow_types_conversion}, on by default), a whole column at a time, whereas
 * RowBinary builds a LowCardinality dictionary entry per value, which was most of that format's cost.
 *
 * <p>Hand-written because client-v2 (0.11) reads Native but has no writer for it. The layout, as the server writes
 * and reads it without a client protocol revision: the number of columns and of rows (VarUInt); then per column its
 * name and type (VarUInt length + UTF-8) and its values: fixed-width numbers little-endian, a UUID as its two
 * 64-bit halves (most significant first, each little-endian), a String as VarUInt length + bytes, a Nullable as
 * one null byte per row followed by the values (a default where null), a Map as cumulative UInt64 offsets followed
 * by all keys, then all values.
 */
final class NativeBlock {

    private final List<Column> columns = new ArrayList<>();

    /** A column of {@code String}s (also for {@code LowCardinality(String)} table columns). */
    StringColumn strings(String name) {
        return add(new StringColumn(name, "String"));
    }

    /** A column of {@code UUID}s. */
    UuidColumn uuids(String name) {
        return add(new UuidColumn(name));
    }

    /** A column of 64-bit numbers of {@code type}: {@code Int64}, {@code UInt64} or {@code DateTime64(3, 'UTC')}. */
    LongColumn longs(String name, String type) {
        return add(new LongColumn(name, type));
    }

    /** A column of {@code Bool}s. */
    BoolColumn bools(String name) {
        return add(new BoolColumn(name));
    }

    /** A {@code Nullable(UInt32)} column. */
    NullableIntColumn nullableUInt32(String name) {
        return add(new NullableIntColumn(name));
    }

    /** A {@code Nullable(DateTime64(3, 'UTC'))} column, values in epoch milliseconds. */
    NullableLongColumn nullableDateTime64Millis(String name) {
        return add(new NullableLongColumn(name, "Nullable(DateTime64(3, 'UTC'))"));
    }

    /** A {@code Map(String, String)} column. */
    StringMapColumn stringMaps(String name) {
        return add(new StringMapColumn(name));
    }

    /**
     * The block's bytes.
     *
     * @throws IllegalStateException when the columns do not all hold the same number of rows
     */
    byte[] toBytes() {
        int rows = columns.isEmpty() ? 0 : columns.getFirst().rows;
        Bytes out = new Bytes(64 + columns.stream().mapToInt(Column::size).sum());
        out.varUInt(columns.size());
        out.varUInt(rows);
        for (Column c : columns) {
            if (c.rows != rows) {
                throw new IllegalStateException("column " + c.name + " has " + c.rows + " rows, "
                        + columns.getFirst().name + " has " + rows);
            }
            out.string(c.name);
            out.string(c.type);
            c.writeTo(out);
        }
        return out.toArray();
    }

    private <C extends Column> C add(C column) {
        columns.add(column);
        return column;
    }

    /** A column: its name, its type as the server reads it, and its values. */
    abstract static sealed class Column {
        final String name;
        final String type;
        final Bytes data = new Bytes(4096);
        int rows;

        Column(String name, String type) {
            this.name = name;
            this.type = type;
        }

        int size() {
            return data.length + name.length() + type.length() + 10;
        }

        void writeTo(Bytes out) {
            out.append(data);
        }
    }

    static final class StringColumn extends Column {
        StringColumn(String name, String type) {
            super(name, type);
        }

        void add(String value) {
            data.string(value);
            rows++;
        }
    }

    static final class UuidColumn extends Column {
        UuidColumn(String name) {
            super(name, "UUID");
        }

        void add(UUID value) {
            data.int64(value.getMostSignificantBits());
            data.int64(value.getLeastSignificantBits());
            rows++;
        }
    }

    static final class LongColumn extends Column {
        LongColumn(String name, String type) {
            super(name, type);
        }

        void add(long value) {
            data.int64(value);
            rows++;
        }
    }

    static final class BoolColumn extends Column {
        BoolColumn(String name) {
            super(name, "Bool");
        }

        void add(boolean value) {
            data.int8(value ? 1 : 0);
            rows++;
        }
    }

    static final class NullableIntColumn extends Column {
        private final Bytes nulls = new Bytes(1024);

        NullableIntColumn(String name) {
            super(name, "Nullable(UInt32)");
        }

        /**
         * @param value a value from 0 to 2^32 - 1, or null
         * @throws IllegalArgumentException when the value is outside UInt32
         */
        void add(Long value) {
            if (value != null && (value < 0 || value > 0xFFFF_FFFFL)) {
                throw new IllegalArgumentException(name + " " + value + " is outside UInt32");
            }
            nulls.int8(value == null ? 1 : 0);
            data.int32(value == null ? 0 : (int) (long) value);
            rows++;
        }

        @Override
        int size() {
            return super.size() + nulls.length;
        }

        @Override
        void writeTo(Bytes out) {
            out.append(nulls);
            out.append(data);
        }
    }

    static final class NullableLongColumn extends Column {
        private final Bytes nulls = new Bytes(1024);

        NullableLongColumn(String name, String type) {
            super(name, type);
        }

        void add(Long value) {
            nulls.int8(value == null ? 1 : 0);
            data.int64(value == null ? 0 : value);
            rows++;
        }

        @Override
        int size() {
            return super.size() + nulls.length;
        }

        @Override
        void writeTo(Bytes out) {
            out.append(nulls);
            out.append(data);
        }
    }

    /** Keys go to the column's data, values and the offsets to buffers of their own. */
    static final class StringMapColumn extends Column {
        private final Bytes offsets = new Bytes(1024);
        private final Bytes values = new Bytes(4096);
        private long entries;

        StringMapColumn(String name) {
            super(name, "Map(String, String)");
        }

        void add(Map<String, String> map) {
            for (Map.Entry<String, String> e : map.entrySet()) {
                data.string(e.getKey());
                values.string(e.getValue());
            }
            entries += map.size();
            offsets.int64(entries);
            rows++;
        }

        @Override
        int size() {
            return super.size() + offsets.length + values.length;
        }

        @Override
        void writeTo(Bytes out) {
            out.append(offsets);
            out.append(data);
            out.append(values);
        }
    }

    /** A growable little-endian byte buffer. */
    static final class Bytes {
        private byte[] buf;
        private int length;

        Bytes(int capacity) {
            buf = new byte[capacity];
        }

        void int8(int v) {
            ensure(1);
            buf[length++] = (byte) v;
        }

        void int32(int v) {
            ensure(4);
            for (int i = 0; i < 4; i++) {
                buf[length++] = (byte) (v >>> (8 * i));
            }
        }

        void int64(long v) {
            ensure(8);
            for (int i = 0; i < 8; i++) {
                buf[length++] = (byte) (v >>> (8 * i));
            }
        }

        void varUInt(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[length++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[length++] = (byte) v;
        }

        /** VarUInt length + UTF-8; ASCII, the common case, without an intermediate array. */
        void string(String s) {
            int n = s.length();
            boolean ascii = true;
            for (int i = 0; i < n && ascii; i++) {
                ascii = s.charAt(i) < 0x80;
            }
            if (ascii) {
                varUInt(n);
                ensure(n);
                for (int i = 0; i < n; i++) {
                    buf[length++] = (byte) s.charAt(i);
                }
            } else {
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                varUInt(utf8.length);
                ensure(utf8.length);
                System.arraycopy(utf8, 0, buf, length, utf8.length);
                length += utf8.length;
            }
        }

        void append(Bytes other) {
            ensure(other.length);
            System.arraycopy(other.buf, 0, buf, length, other.length);
            length += other.length;
        }

        byte[] toArray() {
            return length == buf.length ? buf : Arrays.copyOf(buf, length);
        }

        private void ensure(int more) {
            if (length + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, length + more));
            }
        }
    }
}
