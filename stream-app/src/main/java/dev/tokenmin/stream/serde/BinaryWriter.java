package dev.tokenmin.stream.serde;

import java.io.ByteArrayOutputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A {@link DataOutput} into a growable byte array, writing exactly the bytes {@link DataOutputStream} writes (big-endian
 * numbers, modified UTF-8 strings with a two-byte length), without its costs: {@code DataOutputStream} over a
 * {@code ByteArrayOutputStream} takes a lock per write and copies every number through a buffer of its own. The
 * internal records are encoded several times per event (docs/benchmarks.md), so this is worth its few lines; the JDK has
 * no unsynchronized {@code DataOutput} and the project's libraries offer none with {@code writeUTF}'s format.
 */
public final class BinaryWriter implements DataOutput {

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private byte[] buf;
    private int size;

    public BinaryWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    /** The bytes written so far, in a new array. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }

    @Override
    public void write(int b) {
        ensure(1);
        buf[size++] = (byte) b;
    }

    @Override
    public void write(byte[] b) {
        write(b, 0, b.length);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, size, len);
        size += len;
    }

    @Override
    public void writeBoolean(boolean v) {
        write(v ? 1 : 0);
    }

    @Override
    public void writeByte(int v) {
        write(v);
    }

    @Override
    public void writeShort(int v) {
        ensure(2);
        SHORT.set(buf, size, (short) v);
        size += 2;
    }

    @Override
    public void writeChar(int v) {
        writeShort(v);
    }

    @Override
    public void writeInt(int v) {
        ensure(4);
        INT.set(buf, size, v);
        size += 4;
    }

    @Override
    public void writeLong(long v) {
        ensure(8);
        LONG.set(buf, size, v);
        size += 8;
    }

    @Override
    public void writeFloat(float v) {
        writeInt(Float.floatToIntBits(v));
    }

    @Override
    public void writeDouble(double v) {
        writeLong(Double.doubleToLongBits(v));
    }

    @Override
    public void writeBytes(String s) {
        ensure(s.length());
        for (int i = 0; i < s.length(); i++) {
            buf[size++] = (byte) s.charAt(i);
        }
    }

    @Override
    public void writeChars(String s) {
        for (int i = 0; i < s.length(); i++) {
            writeChar(s.charAt(i));
        }
    }

    /** As {@link DataOutputStream#writeUTF}: ids and names are ASCII, written directly; anything else as the JDK does. */
    @Override
    public void writeUTF(String s) throws IOException {
        int n = s.length();
        if (n <= 65535 && isPlainAscii(s, n)) {
            ensure(2 + n);
            SHORT.set(buf, size, (short) n);
            size += 2;
            for (int i = 0; i < n; i++) {
                buf[size++] = (byte) s.charAt(i);
            }
            return;
        }
        ByteArrayOutputStream modified = new ByteArrayOutputStream(n + 16);
        try (DataOutputStream out = new DataOutputStream(modified)) {
            out.writeUTF(s); // refuses more than 65,535 encoded bytes (UTFDataFormatException), as it always did
        }
        write(modified.toByteArray());
    }

    /** Characters 1 to 127 are one byte each in modified UTF-8 (NUL is two). */
    private static boolean isPlainAscii(String s, int n) {
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == 0 || c > 0x7F) {
                return false;
            }
        }
        return true;
    }
}
