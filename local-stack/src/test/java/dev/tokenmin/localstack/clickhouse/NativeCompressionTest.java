package dev.tokenmin.localstack.clickhouse;

import com.clickhouse.data.stream.Lz4InputStream;
import com.clickhouse.data.stream.Lz4OutputStream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@SuppressWarnings("deprecation") // the clients' own LZ4 streams, deprecated but what 0.11 uses
class NativeCompressionTest {

    private static byte[] sample(int size) {
        byte[] data = new byte[size];
        Random random = new Random(42);
        for (int i = 0; i < size; i++) {
            // Half compressible text, half noise, across several 1 MiB blocks.
            data[i] = i % 2 == 0 ? (byte) ('a' + (i / 7) % 26) : (byte) random.nextInt();
        }
        return data;
    }

    @Test
    void shouldBeReadableByTheClickHouseClientsOwnLz4Reader() throws IOException {
        byte[] data = sample(3 * (1 << 20) + 12345);

        byte[] framed = NativeCompression.compress(data);

        try (InputStream in = new Lz4InputStream(new ByteArrayInputStream(framed))) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void shouldReadWhatTheClickHouseClientsOwnLz4WriterWrote() throws IOException {
        byte[] data = sample(2 * (1 << 20) + 7);
        ByteArrayOutputStream framed = new ByteArrayOutputStream();
        try (Lz4OutputStream out = new Lz4OutputStream(framed, 1 << 20, null)) {
            out.write(data);
        }

        assertThat(NativeCompression.decompress(framed.toByteArray())).isEqualTo(data);
    }

    @Test
    void shouldRejectABlockWhoseChecksumDoesNotMatch() {
        byte[] framed = NativeCompression.compress(sample(1000));
        framed[framed.length - 1] ^= 0x55;

        assertThatThrownBy(() -> NativeCompression.decompress(framed))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("checksum mismatch");
    }

    @Test
    void shouldRejectATruncatedBody() {
        byte[] framed = NativeCompression.compress(sample(1000));
        byte[] truncated = java.util.Arrays.copyOf(framed, 20);

        assertThatThrownBy(() -> NativeCompression.decompress(truncated))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("truncated");
    }
}
