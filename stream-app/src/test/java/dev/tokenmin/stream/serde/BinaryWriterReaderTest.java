package dev.tokenmin.stream.serde;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The internal records' bytes must not change with the faster writer and reader: changelogs hold the old ones. */
class BinaryWriterReaderTest {

    private static final List<String> STRINGS = List.of("", "acme", "customer:acme/user:u-42", "\u0000", "a\u0000b",
            "é", "Zürich", "日本語", "emoji \uD83D\uDE00", "\u007F\u0080\u07FF\u0800\uFFFF", "x".repeat(70_000 / 3));
    private static final long[] LONGS = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1_764_000_000_000L};
    private static final int[] INTS = {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 65_535};

    private static void writeAll(DataOutput out) throws IOException {
        for (String s : STRINGS) {
            out.writeUTF(s);
        }
        for (long v : LONGS) {
            out.writeLong(v);
        }
        for (int v : INTS) {
            out.writeInt(v);
            out.writeShort(v);
            out.writeByte(v);
        }
        out.writeBoolean(true);
        out.writeBoolean(false);
        out.writeDouble(0.1);
        out.writeFloat(-2.5f);
        out.writeChar('é');
        out.write(new byte[] {9, 8, 7}, 1, 2);
    }

    private static void readAllAndCheck(DataInput in) throws IOException {
        for (String s : STRINGS) {
            assertThat(in.readUTF()).isEqualTo(s);
        }
        for (long v : LONGS) {
            assertThat(in.readLong()).isEqualTo(v);
        }
        for (int v : INTS) {
            assertThat(in.readInt()).isEqualTo(v);
            assertThat(in.readShort()).isEqualTo((short) v);
            assertThat(in.readByte()).isEqualTo((byte) v);
        }
        assertThat(in.readBoolean()).isTrue();
        assertThat(in.readBoolean()).isFalse();
        assertThat(in.readDouble()).isEqualTo(0.1);
        assertThat(in.readFloat()).isEqualTo(-2.5f);
        assertThat(in.readChar()).isEqualTo('é');
        assertThat(in.readUnsignedByte()).isEqualTo(8);
        assertThat(in.readUnsignedByte()).isEqualTo(7);
    }

    private static byte[] jdkBytes() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeAll(out);
        }
        return bytes.toByteArray();
    }

    @Test
    void shouldWriteTheSameBytesAsDataOutputStream() throws IOException {
        BinaryWriter out = new BinaryWriter(1); // grows from its smallest size
        writeAll(out);
        assertThat(out.toByteArray()).isEqualTo(jdkBytes());
    }

    @Test
    void shouldReadWhatDataOutputStreamWroteAndTheReverse() throws IOException {
        BinaryReader in = new BinaryReader(jdkBytes());
        readAllAndCheck(in);
        assertThat(in.remaining()).isZero();

        BinaryWriter out = new BinaryWriter(64);
        writeAll(out);
        readAllAndCheck(new DataInputStream(new ByteArrayInputStream(out.toByteArray())));
    }

    @Test
    void shouldRefuseWhatDataOutputStreamRefusesAndReadingPastTheEnd() throws IOException {
        assertThatThrownBy(() -> new BinaryWriter(16).writeUTF("é".repeat(40_000)))
                .isInstanceOf(UTFDataFormatException.class);
        BinaryReader in = new BinaryReader(new byte[] {0, 5, 'a', 'b'});
        assertThatThrownBy(in::readUTF).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> new BinaryReader(new byte[7]).readLong()).isInstanceOf(EOFException.class);
        BinaryReader slice = new BinaryReader(new byte[] {1, 2, 3, 4, 5}, 1, 3);
        assertThat(slice.readByte()).isEqualTo((byte) 2);
        assertThat(slice.skipBytes(10)).isEqualTo(2);
        assertThat(slice.remaining()).isZero();
    }
}
