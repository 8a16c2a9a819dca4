package dev.tokenmin.clickhouse.sink;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NativeBlockTest {

    /**
     * What ClickHouse 26.5 itself writes for {@code SELECT toUUID('00112233-4455-6677-8899-aabbccddeeff') AS u,
     * toNullable(toUInt32(7)) AS n, map('a','b','cc','dd') AS m, CAST(NULL AS Nullable(UInt32)) AS z,
     * toDateTime64(1.5, 3, 'UTC') AS t, true AS b FORMAT Native} (captured from the local engine).
     */
    private static final String CLICKHOUSE_NATIVE = "0601"
            + "0175" + "0455554944" + "7766554433221100" + "ffeeddccbbaa9988"
            + "016e" + "104e756c6c61626c652855496e74333229" + "00" + "07000000"
            + "016d" + "134d617028537472696e672c20537472696e6729" + "0200000000000000" + "0161" + "026363" + "0162"
            + "026464"
            + "017a" + "104e756c6c61626c652855496e74333229" + "01" + "00000000"
            + "0174" + "144461746554696d65363428332c20275554432729" + "dc05000000000000"
            + "0162" + "04426f6f6c" + "01";

    @Test
    void shouldWriteTheBytesClickHouseWritesForTheSameBlock() {
        NativeBlock block = new NativeBlock();
        block.uuids("u").add(UUID.fromString("00112233-4455-6677-8899-aabbccddeeff"));
        block.nullableUInt32("n").add(7L);
        Map<String, String> m = new LinkedHashMap<>();
        m.put("a", "b");
        m.put("cc", "dd");
        block.stringMaps("m").add(m);
        block.nullableUInt32("z").add(null);
        block.longs("t", "DateTime64(3, 'UTC')").add(1_500L);
        block.bools("b").add(true);

        assertThat(HexFormat.of().formatHex(block.toBytes())).isEqualTo(CLICKHOUSE_NATIVE);
    }

    @Test
    void shouldWriteNonAsciiStringsAsUtf8WithTheirByteLength() {
        NativeBlock block = new NativeBlock();
        NativeBlock.StringColumn s = block.strings("s");
        s.add("é");
        s.add("");

        // 1 column, 2 rows; "s" "String"; then 2 bytes of UTF-8, then the empty string
        assertThat(HexFormat.of().formatHex(block.toBytes()))
                .isEqualTo("0102" + "0173" + "06537472696e67" + "02c3a9" + "00");
    }

    @Test
    void shouldRefuseColumnsOfDifferentLengths() {
        NativeBlock block = new NativeBlock();
        block.strings("a").add("x");
        block.strings("b");

        assertThatThrownBy(block::toBytes).isInstanceOf(IllegalStateException.class)
                .hasMessage("column b has 0 rows, a has 1");
    }

    @Test
    void shouldRefuseAValueOutsideUInt32NamingTheColumn() {
        NativeBlock block = new NativeBlock();

        assertThatThrownBy(() -> block.nullableUInt32("latency_ms").add(1L << 32))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("latency_ms 4294967296 is outside UInt32");
    }
}
