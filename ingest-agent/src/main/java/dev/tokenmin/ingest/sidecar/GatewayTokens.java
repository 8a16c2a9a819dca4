package dev.tokenmin.ingest.sidecar;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The bearer tokens the sidecar accepts, one per gateway. Only SHA-256 digests are kept in memory, and a presented
 * token is compared with every one of them in constant time, so neither the time to answer nor an early exit tells
 * a caller how much of a token was right.
 */
public final class GatewayTokens {

    /** Shortest token accepted in the tokens file. */
    public static final int MIN_TOKEN_CHARS = 24;

    private final List<Map.Entry<String, byte[]>> digests;

    private GatewayTokens(Map<String, String> tokensByGateway) {
        List<Map.Entry<String, byte[]>> list = new ArrayList<>();
        tokensByGateway.forEach((gateway, token) -> list.add(Map.entry(gateway, sha256(token))));
        this.digests = List.copyOf(list);
    }

    /**
     * Reads a properties file of {@code gateway-id=token} lines (a mounted secret, say).
     *
     * @throws IllegalArgumentException naming the file and every bad line, never a token
     */
    public static GatewayTokens load(Path file) {
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(reader);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the tokens file " + file + ": " + e.getMessage());
        }
        Map<String, String> tokens = new LinkedHashMap<>();
        props.stringPropertyNames().stream().sorted().forEach(k -> tokens.put(k, props.getProperty(k)));
        return of(tokens, file.toString());
    }

    /** Tokens given directly, by gateway id; {@code origin} names where they came from in errors. */
    public static GatewayTokens of(Map<String, String> tokensByGateway, String origin) {
        List<String> errors = new ArrayList<>();
        if (tokensByGateway.isEmpty()) {
            errors.add("no gateway tokens");
        }
        tokensByGateway.forEach((gateway, token) -> {
            if (token == null || token.strip().length() < MIN_TOKEN_CHARS) {
                errors.add("the token of gateway \"" + gateway + "\" is shorter than " + MIN_TOKEN_CHARS + " characters");
            }
        });
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(origin + ": " + String.join("; ", errors));
        }
        Map<String, String> stripped = new LinkedHashMap<>();
        tokensByGateway.forEach((g, t) -> stripped.put(g, t.strip()));
        return new GatewayTokens(stripped);
    }

    /** The gateway an {@code Authorization} header's bearer token belongs to, or null. */
    public String authenticate(String authorizationHeader) {
        if (authorizationHeader == null || authorizationHeader.length() < 7
                || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        byte[] presented = sha256(authorizationHeader.substring(7).strip());
        String match = null;
        for (Map.Entry<String, byte[]> e : digests) {
            // Every digest is compared, whatever matched before: the time taken does not depend on the token.
            if (MessageDigest.isEqual(presented, e.getValue())) {
                match = e.getKey();
            }
        }
        return match;
    }

    public int size() {
        return digests.size();
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
