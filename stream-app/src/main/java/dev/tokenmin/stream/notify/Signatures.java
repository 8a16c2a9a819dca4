package dev.tokenmin.stream.notify;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How webhook requests are signed, in the manner of Stripe and Svix: the header
 * {@code Tokenmin-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>}. A receiver recomputes
 * the HMAC over the timestamp it was given and the raw body, compares in constant time, and refuses timestamps
 * older than its tolerance (5 minutes suggested) so a captured request cannot be replayed later.
 */
public final class Signatures {

    public static final String HEADER = "Tokenmin-Signature";

    private Signatures() {
    }

    /** The header value for {@code body} sent at {@code epochSeconds}. */
    public static String sign(String secret, long epochSeconds, byte[] body) {
        return "t=" + epochSeconds + ",v1=" + HexFormat.of().formatHex(hmac(secret, epochSeconds, body));
    }

    /** Whether {@code header} signs {@code body} with {@code secret}, within {@code toleranceSeconds} of {@code now}. */
    public static boolean verify(String secret, String header, byte[] body, long nowSeconds, long toleranceSeconds) {
        if (header == null) {
            return false;
        }
        long t = -1;
        byte[] given = null;
        for (String part : header.split(",")) {
            String[] kv = part.strip().split("=", 2);
            if (kv.length != 2) {
                continue;
            }
            try {
                if (kv[0].equals("t")) {
                    t = Long.parseLong(kv[1]);
                } else if (kv[0].equals("v1")) {
                    given = HexFormat.of().parseHex(kv[1]);
                }
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return t >= 0 && given != null && Math.abs(nowSeconds - t) <= toleranceSeconds
                && MessageDigest.isEqual(given, hmac(secret, t, body));
    }

    private static byte[] hmac(String secret, long epochSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((epochSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
