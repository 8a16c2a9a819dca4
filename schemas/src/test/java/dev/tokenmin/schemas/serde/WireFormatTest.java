package dev.tokenmin.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WireFormatTest {

    @Test
    void shouldFrameWithMagicByteAndBigEndianId() {
        byte[] framed = WireFormat.frame(0x01020304, new byte[] {42});

        assertThat(framed).containsExactly(0, 1, 2, 3, 4, 42);
        assertThat(WireFormat.schemaId("t", framed)).isEqualTo(0x01020304);
    }

    @Test
    void shouldSayWhichProblemAPayloadHas() {
        assertThatThrownBy(() -> WireFormat.schemaId("usage", new byte[] {0, 0, 1}))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("truncated payload on topic usage: 3 byte(s)");
        assertThatThrownBy(() -> WireFormat.schemaId("usage", "{\"a\":1}".getBytes()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("unknown magic byte 0x7b on topic usage");
    }
}
