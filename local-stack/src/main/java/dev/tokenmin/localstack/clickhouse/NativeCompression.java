package dev.tokenmin.localstack.clickhouse;

import com.clickhouse.data.ClickHouseCityHash;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FastDecompressor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * ClickHouse's native compression framing, which its HTTP interface uses for {@code compress=1} responses and
 * {@code decompress=1} request bodies. Each block is: a 16-byte CityHash128 of the rest of the block, the method
 * byte {@code 0x82} (LZ4), the compressed size including the 9-byte header (int32 little-endian), the
 * uncompressed size (int32 little-endian), then an LZ4 block. Clients verify the checksum. Only LZ4 is spoken: the
 * project's clients are configured for it.
 *
 * <p>The checksum uses {@code ClickHouseCityHash} from clickhouse-data, deprecated there but still what the 0.11
 * clients verify responses with; using the clients' own implementation keeps the two in step.
 */
@SuppressWarnings("deprecation")
final class NativeCompression {

    static final int METHOD_LZ4 = 0x82;
    static final int METHOD_NONE = 0x02;
    private static final int CHECKSUM_BYTES = 16;
    private static final int HEADER_BYTES = 9;
    /** Uncompressed bytes per block, as ClickHouse's own server uses (1 MiB). */
    private static final int BLOCK_BYTES = 1 << 20;

    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private NativeCompression() {
    }

    /** Frames {@code data} as a sequence of checksummed LZ4 blocks. */
    static byte[] compress(byte[] data) {
        LZ4Compressor compressor = LZ4.fastCompressor();
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
        for (int offset = 0; offset < data.length; offset += BLOCK_BYTES) {
            int length = Math.min(BLOCK_BYTES, data.length - offset);
            byte[] block = new byte[HEADER_BYTES + compressor.maxCompressedLength(length)];
            int compressed = compressor.compress(data, offset, length, block, HEADER_BYTES, block.length - HEADER_BYTES);
            block[0] = (byte) METHOD_LZ4;
            putIntLE(block, 1, compressed + HEADER_BYTES);
            putIntLE(block, 5, length);
            long[] hash = ClickHouseCityHash.cityHash128(block, 0, compressed + HEADER_BYTES);
            byte[] checksum = new byte[CHECKSUM_BYTES];
            putLongLE(checksum, 0, hash[0]);
            putLongLE(checksum, 8, hash[1]);
            out.writeBytes(checksum);
            out.write(block, 0, compressed + HEADER_BYTES);
        }
        return out.toByteArray();
    }

    /** Reverses {@link #compress}, verifying every block's checksum. */
    static byte[] decompress(byte[] framed) throws IOException {
        LZ4FastDecompressor decompressor = LZ4.fastDecompressor();
        ByteArrayOutputStream out = new ByteArrayOutputStream(framed.length * 3);
        int offset = 0;
        while (offset < framed.length) {
            if (framed.length - offset < CHECKSUM_BYTES + HEADER_BYTES) {
                throw new IOException("truncated compressed block at byte " + offset);
            }
            int headerAt = offset + CHECKSUM_BYTES;
            int method = framed[headerAt] & 0xff;
            int compressedSize = getIntLE(framed, headerAt + 1);
            int size = getIntLE(framed, headerAt + 5);
            if (compressedSize < HEADER_BYTES || headerAt + compressedSize > framed.length || size < 0) {
                throw new IOException("corrupt compressed block header at byte " + offset);
            }
            long[] hash = ClickHouseCityHash.cityHash128(framed, headerAt, compressedSize);
            if (hash[0] != getLongLE(framed, offset) || hash[1] != getLongLE(framed, offset + 8)) {
                throw new IOException("checksum mismatch in compressed block at byte " + offset);
            }
            switch (method) {
                case METHOD_LZ4 -> {
                    byte[] block = new byte[size];
                    try {
                        decompressor.decompress(framed, headerAt + HEADER_BYTES, block, 0, size);
                    } catch (LZ4Exception e) {
                        throw new IOException("corrupt LZ4 block at byte " + offset, e);
                    }
                    out.writeBytes(block);
                }
                case METHOD_NONE -> out.write(framed, headerAt + HEADER_BYTES, compressedSize - HEADER_BYTES);
                default -> throw new IOException("compression method 0x" + Integer.toHexString(method)
                        + " is not supported; use LZ4");
            }
            offset = headerAt + compressedSize;
        }
        return out.toByteArray();
    }

    private static void putIntLE(byte[] b, int at, int v) {
        INT_LE.set(b, at, v);
    }

    private static int getIntLE(byte[] b, int at) {
        return (int) INT_LE.get(b, at);
    }

    private static void putLongLE(byte[] b, int at, long v) {
        LONG_LE.set(b, at, v);
    }

    private static long getLongLE(byte[] b, int at) {
        return (long) LONG_LE.get(b, at);
    }
}
