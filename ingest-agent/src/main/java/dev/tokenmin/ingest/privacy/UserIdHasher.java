package dev.tokenmin.ingest.privacy;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Replaces user ids with a keyed hash (HMAC-SHA256) at the agent, before anything leaves the gateway. The same id
 * and key always give the same pseudonym, so spend still groups per user, but without the key nobody can link a
 * pseudonym back to the user or test a guessed id. The key never leaves the gateway's configuration.
 */
public final class UserIdHasher {

    /** Prefix that marks a pseudonym, so a hashed id is never mistaken for a raw one. */
    public static final String PREFIX = "h:";
    /** Keys shorter than this are refused: an HMAC is only as strong as its key. */
    public static final int MIN_KEY_BYTES = 32;

    private static final String ALGORITHM = "HmacSHA256";
    /** 128 of SHA-256's 256 bits: collisions stay out of reach for any number of users, ids stay short. */
    private static final int PSEUDONYM_BYTES = 16;

    private final SecretKeySpec key;

    /**
     * @param key the secret key, at least {@value #MIN_KEY_BYTES} bytes
     * @throws IllegalArgumentException when the key is shorter; the message never contains the key
     */
    public UserIdHasher(byte[] key) {
        if (key == null || key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("user id hashing key: must be at least " + MIN_KEY_BYTES
                    + " bytes, was " + (key == null ? 0 : key.length));
        }
        this.key = new SecretKeySpec(key.clone(), ALGORITHM);
    }

    /** The pseudonym of {@code userId}: {@code h:} and 32 lowercase hex digits. */
    public String pseudonymOf(String userId) {
        if (userId == null || userId.isEmpty()) {
            throw new IllegalArgumentException("user_id: must not be empty");
        }
        byte[] digest = hmac(userId.getBytes(StandardCharsets.UTF_8));
        return PREFIX + HexFormat.of().formatHex(digest, 0, PSEUDONYM_BYTES);
    }

    /** True when {@code pseudonym} is this key's pseudonym of {@code userId}, compared in constant time. */
    public boolean matches(String userId, String pseudonym) {
        byte[] expected = pseudonymOf(userId).getBytes(StandardCharsets.US_ASCII);
        byte[] actual = pseudonym == null ? new byte[0] : pseudonym.getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, actual);
    }

    /** The full HMAC-SHA256 of {@code message} under this key. */
    byte[] hmac(byte[] message) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
