package dev.tokenmin.ingest.privacy;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UserIdHasherTest {

    private static byte[] key(int fill) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) fill);
        return key;
    }

    @Test
    void shouldComputeHmacSha256AsRfc4231Specifies() {
        // RFC 4231 test case 2 uses the key "Jefe", shorter than the hasher accepts. HMAC pads a short key with
        // zeros to the block size, so "Jefe" padded with zeros to 32 bytes gives the RFC's MAC.
        byte[] jefe = "Jefe".getBytes(StandardCharsets.US_ASCII);
        byte[] padded = Arrays.copyOf(jefe, 32);
        byte[] mac = new UserIdHasher(padded).hmac("what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII));

        assertThat(HexFormat.of().formatHex(mac))
                .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    @Test
    void shouldGiveTheSamePseudonymForTheSameUserAndKeyOnly() {
        UserIdHasher a = new UserIdHasher(key(1));
        UserIdHasher b = new UserIdHasher(key(2));

        String p = a.pseudonymOf("alice@example.com");

        assertThat(p).matches("h:[0-9a-f]{32}").doesNotContain("alice");
        assertThat(a.pseudonymOf("alice@example.com")).isEqualTo(p);
        assertThat(a.pseudonymOf("bob@example.com")).isNotEqualTo(p);
        assertThat(b.pseudonymOf("alice@example.com")).isNotEqualTo(p);
        assertThat(a.matches("alice@example.com", p)).isTrue();
        assertThat(b.matches("alice@example.com", p)).isFalse();
    }

    @Test
    void shouldRefuseShortKeysWithoutEchoingThem() {
        assertThatThrownBy(() -> new UserIdHasher("secret-key".getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 32 bytes")
                .hasMessageNotContaining("secret-key");
        assertThatThrownBy(() -> new UserIdHasher(key(1)).pseudonymOf(""))
                .hasMessageContaining("user_id");
    }
}
