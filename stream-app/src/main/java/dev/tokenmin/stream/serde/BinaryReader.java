package dev.tokenmin.stream.serde;

import java.io.DataInput;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A {@link DataInput} over a byte array, reading what {@link BinaryWriter} or {@link java.io.DataOutputStream} wrote,
 * without {@link DataInputStream}'s costs over a {@code ByteArrayInputStream} (a lock and a copy per number). Reading
 * past the end throws {@link EOFException}, as a {@code DataInputStream} would.
 */
public final class BinaryReader implements DataInput {

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final byte[] buf;
    private final int end;
    private int pos;

    public BinaryReader(byte[] bytes) {
        this(bytes, 0, bytes.length);
    }

    public BinaryReader(byte[] bytes, int offset, int length) {
        this.buf = bytes;
        this.pos = offset;
        this.end = offset + length;
    }

    /** How many bytes are left to read. */
    public int remaining() {
        return end - pos;
    }

    private int take(int n) throws EOFException {
        if (n > end - pos) {
            throw new EOFException("needs " + n + " more bytes, has " + (end - pos));
        }
        int at = pos;
        pos += n;
        return at;
    }

    @Override
    public void readFully(byte[] b) throws IOException {
        readFully(b, 0, b.length);
    }

    @Override
    public void readFully(byte[] b, int off, int len) throws IOException {
        System.arraycopy(buf, take(len), b, off, len);
    }

    @Override
    public int skipBytes(int n) {
        int skipped = Math.max(0, Math.min(n, end - pos));
        pos += skipped;
        return skipped;
    }

    @Override
    public boolean readBoolean() throws IOException {
        return buf[take(1)] != 0;
    }

    @Override
    public byte readByte() throws IOException {
        return buf[take(1)];
    }

    @Override
    public int readUnsignedByte() throws IOException {
        return buf[take(1)] & 0xFF;
    }

    @Override
    public short readShort() throws IOException {
        return (short) SHORT.get(buf, take(2));
    }

    @Override
    public int readUnsignedShort() throws IOException {
        return readShort() & 0xFFFF;
    }

    @Override
    public char readChar() throws IOException {
        return (char) readShort();
    }

    @Override
    public int readInt() throws IOException {
        return (int) INT.get(buf, take(4));
    }

    @Override
    public long readLong() throws IOException {
        return (long) LONG.get(buf, take(8));
    }

    @Override
    public float readFloat() throws IOException {
        return Float.intBitsToFloat(readInt());
    }

    @Override
    public double readDouble() throws IOException {
        return Double.longBitsToDouble(readLong());
    }

    /** Not used by any internal format (lines have no place in a binary record). */
    @Override
    public String readLine() {
        throw new UnsupportedOperationException("binary records have no lines");
    }

    /** As {@link DataInputStream#readUTF}: an ASCII string directly, anything else decoded as the JDK does. */
    @Override
    public String readUTF() throws IOException {
        int start = pos;
        int length = readUnsignedShort();
        int at = take(length);
        for (int i = at; i < at + length; i++) {
            if (buf[i] <= 0) { // NUL or a multi-byte sequence: modified UTF-8 proper
                pos = start;
                return DataInputStream.readUTF(this);
            }
        }
        return new String(buf, at, length, StandardCharsets.ISO_8859_1);
    }
}
