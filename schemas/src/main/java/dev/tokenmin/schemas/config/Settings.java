package dev.tokenmin.schemas.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Reads typed settings from properties and collects every problem with its key, so a configuration object can
 * fail fast with all errors at once ({@link #throwIfAny}). Shared by every component's {@code *Config}.
 */
public final class Settings {

    private final Map<String, ?> props;
    private final List<String> errors = new ArrayList<>();

    public Settings(Map<String, ?> props) {
        this.props = props;
    }

    /**
     * The properties that {@code TOKENMIN_*} environment variables stand for: {@code TOKENMIN_SPOOL_DIR} is
     * {@code spool.dir}. Other variables are ignored.
     */
    public static Map<String, String> fromEnvironment(Map<String, String> env) {
        Map<String, String> out = new HashMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("TOKENMIN_")) {
                out.put(k.substring("TOKENMIN_".length()).toLowerCase(Locale.ROOT).replace('_', '.'), v);
            }
        });
        return out;
    }

    /**
     * An executable's settings: a properties file (optional), then {@code TOKENMIN_*} environment variables, then
     * command-line overrides, each winning over the one before.
     *
     * @throws IllegalArgumentException when the file cannot be read
     */
    public static Map<String, String> layered(Path file, Map<String, String> env, Map<String, String> overrides) {
        Map<String, String> props = new HashMap<>();
        if (file != null) {
            Properties fromFile = new Properties();
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                fromFile.load(reader);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
            }
            fromFile.stringPropertyNames().forEach(k -> props.put(k, fromFile.getProperty(k)));
        }
        props.putAll(fromEnvironment(env));
        props.putAll(overrides);
        return props;
    }

    /** The value, stripped, or null when absent or blank. */
    public String string(String key) {
        Object v = props.get(key);
        return v == null || v.toString().isBlank() ? null : v.toString().strip();
    }

    /** The value, or {@code defaultValue} when absent or blank. */
    public String string(String key, String defaultValue) {
        String v = string(key);
        return v == null ? defaultValue : v;
    }

    /** The value; records "missing" when absent or blank. */
    public String required(String key) {
        String v = string(key);
        if (v == null) {
            errors.add(key + ": missing");
        }
        return v;
    }

    /** A number greater than zero, or {@code defaultValue} when absent. */
    public long positiveLong(String key, long defaultValue) {
        Object v = props.get(key);
        if (v == null || v.toString().isBlank()) {
            return defaultValue;
        }
        try {
            long n = v instanceof Number number ? number.longValue() : Long.parseLong(v.toString().strip());
            if (n <= 0) {
                errors.add(key + ": must be positive, was " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            errors.add(key + ": not a whole number: \"" + v + "\"");
            return defaultValue;
        }
    }

    /** A whole number in {@code [min, max]}, or {@code defaultValue} when absent. */
    public int intBetween(String key, int defaultValue, int min, int max) {
        Object v = props.get(key);
        if (v == null || v.toString().isBlank()) {
            return defaultValue;
        }
        try {
            int n = v instanceof Number number ? number.intValue() : Integer.parseInt(v.toString().strip());
            if (n < min || n > max) {
                errors.add(key + ": must be between " + min + " and " + max + ", was " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            errors.add(key + ": not a whole number: \"" + v + "\"");
            return defaultValue;
        }
    }

    /** One of {@code type}'s constants, case-insensitive, {@code -} for {@code _}; or {@code defaultValue}. */
    public <E extends Enum<E>> E oneOf(String key, Class<E> type, E defaultValue) {
        String v = string(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Enum.valueOf(type, v.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            errors.add(key + ": one of " + Arrays.stream(type.getEnumConstants())
                    .map(c -> c.name().toLowerCase(Locale.ROOT)).toList() + ", was \"" + v + "\"");
            return defaultValue;
        }
    }

    /** The settings under {@code prefix}, with the prefix taken off (e.g. {@code kafka.acks} as {@code acks}). */
    public Map<String, String> prefixed(String prefix) {
        Map<String, String> out = new HashMap<>();
        props.forEach((k, v) -> {
            if (k.startsWith(prefix) && v != null) {
                out.put(k.substring(prefix.length()), v.toString());
            }
        });
        return Map.copyOf(out);
    }

    /** Records a problem found by the caller. */
    public void error(String message) {
        errors.add(message);
    }

    public boolean hasErrors() {
        return !errors.isEmpty();
    }

    /** @throws IllegalArgumentException {@code "<what>: <error>; <error>"} when any problem was recorded */
    public void throwIfAny(String what) {
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(what + ": " + String.join("; ", errors));
        }
    }
}
