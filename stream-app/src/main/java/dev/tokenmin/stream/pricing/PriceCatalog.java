package dev.tokenmin.stream.pricing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.schemas.NanoUsd;
import dev.tokenmin.schemas.pricing.PriceKeys;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The price catalog: a YAML file of list prices per provider and model, each from an effective date on
 * ({@code stream-app/src/main/resources/prices/catalog.yaml} is the one shipped). Prices are read as decimals and
 * held as exact nano-USD per million tokens; every problem in the file is reported at once, with the entry and
 * field at fault.
 *
 * @param version the catalog's own version, as its file says
 * @param entries its entries, in file order
 */
public record PriceCatalog(String version, List<PriceEntry> entries) {

    /** The catalog shipped with tokenmin. */
    public static final String BUNDLED = "/prices/catalog.yaml";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final Set<String> ENTRY_FIELDS = Set.of("provider", "model", "tier", "effective_from",
            "usd_per_million_tokens", "reference");
    private static final List<String> PRICE_FIELDS = List.of("input", "cached_input", "cache_write", "output");

    public PriceCatalog {
        entries = List.copyOf(entries);
    }

    /** The catalog shipped with tokenmin. */
    public static PriceCatalog bundled() {
        try (InputStream in = PriceCatalog.class.getResourceAsStream(BUNDLED)) {
            if (in == null) {
                throw new IllegalStateException("the bundled price catalog " + BUNDLED + " is missing from the jar");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "bundled catalog");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a catalog file. */
    public static PriceCatalog load(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the price catalog " + file + ": " + e.getMessage());
        }
    }

    /**
     * Reads catalog text.
     *
     * @param origin names the catalog in errors
     * @throws IllegalArgumentException listing every problem, e.g. {@code entries[3].usd_per_million_tokens.output:
     *                                  must not be negative}
     */
    public static PriceCatalog parse(String yaml, String origin) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            throw new IllegalArgumentException(origin + ": not valid YAML: " + e.getMessage());
        }
        List<String> errors = new ArrayList<>();
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(origin + ": must be a mapping with version and entries");
        }
        String version = root.path("version").asText(null);
        if (version == null || version.isBlank()) {
            errors.add("version: missing");
        }
        JsonNode list = root.get("entries");
        List<PriceEntry> entries = new ArrayList<>();
        if (list == null || !list.isArray() || list.isEmpty()) {
            errors.add("entries: must be a non-empty list");
        } else {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < list.size(); i++) {
                PriceEntry entry = entry(list.get(i), "entries[" + i + "].", errors);
                if (entry != null && !seen.add(PriceKeys.key(entry))) {
                    errors.add("entries[" + i + "]: a second entry for " + PriceKeys.key(entry));
                }
                if (entry != null) {
                    entries.add(entry);
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(origin + ": " + String.join("; ", errors));
        }
        return new PriceCatalog(version, entries);
    }

    private static PriceEntry entry(JsonNode node, String at, List<String> errors) {
        if (!node.isObject()) {
            errors.add(at.substring(0, at.length() - 1) + ": must be a mapping");
            return null;
        }
        int before = errors.size();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!ENTRY_FIELDS.contains(name)) {
                errors.add(at + name + ": unknown field (known: " + String.join(", ", ENTRY_FIELDS.stream().sorted()
                        .toList()) + ")");
            }
        }
        String provider = text(node, "provider", at, errors);
        String model = text(node, "model", at, errors);
        String tier = text(node, "tier", at, errors);
        Instant from = null;
        String date = text(node, "effective_from", at, errors);
        if (date != null) {
            try {
                from = LocalDate.parse(date).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException e) {
                try {
                    from = Instant.parse(date);
                } catch (DateTimeParseException e2) {
                    errors.add(at + "effective_from: a date (2025-04-14) or instant (2025-04-14T00:00:00Z), was \""
                            + date + "\"");
                }
            }
        }
        long[] nanos = new long[PRICE_FIELDS.size()];
        JsonNode prices = node.get("usd_per_million_tokens");
        if (prices == null || !prices.isObject()) {
            errors.add(at + "usd_per_million_tokens: missing (input, cached_input, cache_write, output)");
        } else {
            for (int k = 0; k < nanos.length; k++) {
                String field = PRICE_FIELDS.get(k);
                String path = at + "usd_per_million_tokens." + field;
                JsonNode v = prices.get(field);
                if (v == null || !(v.isNumber() || v.isTextual())) {
                    errors.add(path + ": missing");
                    continue;
                }
                try {
                    BigDecimal usd = new BigDecimal(v.asText().strip());
                    if (usd.signum() < 0) {
                        errors.add(path + ": must not be negative, was " + usd.toPlainString());
                    } else {
                        nanos[k] = NanoUsd.fromUsd(usd);
                    }
                } catch (NumberFormatException | ArithmeticException e) {
                    errors.add(path + ": not a USD amount with at most 9 decimals: " + v.asText());
                }
            }
        }
        if (errors.size() > before) {
            return null;
        }
        return PriceEntry.newBuilder().setProvider(provider.toLowerCase(Locale.ROOT)).setModel(model).setTier(tier)
                .setEffectiveFrom(from).setInputNanosPerMtok(nanos[0]).setCachedInputNanosPerMtok(nanos[1])
                .setCacheWriteNanosPerMtok(nanos[2]).setOutputNanosPerMtok(nanos[3])
                .setReference(node.path("reference").asText(null)).build();
    }

    private static String text(JsonNode node, String field, String at, List<String> errors) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull() || v.asText().isBlank()) {
            errors.add(at + field + ": missing");
            return null;
        }
        return v.asText().strip();
    }
}
