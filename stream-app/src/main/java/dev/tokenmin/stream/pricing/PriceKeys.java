package dev.tokenmin.stream.pricing;

import dev.tokenmin.avro.PriceEntry;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

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

    /** What every key of one model starts with. */
    public static String prefix(String provider, String model) {
        return provider + "/" + model + "@";
    }
}
