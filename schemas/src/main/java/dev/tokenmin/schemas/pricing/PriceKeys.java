package dev.tokenmin.schemas.pricing;

import dev.tokenmin.avro.PriceEntry;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Keys of the prices topic and store: {@code provider/model@2025-04-14T00:00:00Z}. Every version of a price keeps
 * its own key, so the compacted topic holds the whole history (a late event is priced with the entry of its own
 * time), and the keys of one model sort by effective time, so the entry in force is found with one range scan.
 */
public final class PriceKeys {

    private static final DateTimeFormatter INSTANT = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);

    private PriceKeys() {
    }

    /** The key of an entry. */
    public static String key(PriceEntry entry) {
        return key(entry.getProvider(), entry.getModel(), entry.getEffectiveFrom());
    }

    public static String key(String provider, String model, Instant effectiveFrom) {
        return prefix(provider, model) + INSTANT.format(effectiveFrom);
    }

    /** A key read back: provider, model and effective-from. */
    public record Parsed(String provider, String model, Instant effectiveFrom) {
    }

    /** @throws IllegalArgumentException when {@code key} is not {@code provider/model@instant} */
    public static Parsed parse(String key) {
        int slash = key == null ? -1 : key.indexOf('/');
        int at = key == null ? -1 : key.lastIndexOf('@');
        if (slash <= 0 || at <= slash + 1) {
            throw new IllegalArgumentException("price key: provider/model@instant, was \"" + key + "\"");
        }
        try {
            return new Parsed(key.substring(0, slash), key.substring(slash + 1, at), Instant.parse(key.substring(at + 1)));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("price key: provider/model@instant, was \"" + key + "\"");
        }
    }

    /** What every key of one model starts with. */
    public static String prefix(String provider, String model) {
        return provider + "/" + model + "@";
    }
}
