package dev.tokenmin.clickhouse.migration;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One numbered ClickHouse migration: a file named {@code V<version>__<description>.sql}, such as
 * {@code V001__usage_events.sql}. Its checksum (SHA-256 of the text) lets the runner refuse to go on when a
 * migration that already ran has been edited.
 */
public record Migration(int version, String description, String sql) implements Comparable<Migration> {

    private static final Pattern FILE_NAME = Pattern.compile("V(\\d{1,9})__([a-z0-9_]+)\\.sql");

    public Migration {
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(sql, "sql");
        if (version < 1) {
            throw new IllegalArgumentException("migration version must be 1 or more, was " + version);
        }
    }

    /**
     * A migration from its file name and text.
     *
     * @throws IllegalArgumentException naming the file when its name does not follow {@code V<n>__<words>.sql}
     */
    public static Migration of(String fileName, String sql) {
        Matcher m = FILE_NAME.matcher(fileName);
        if (!m.matches()) {
            throw new IllegalArgumentException("migration file \"" + fileName
                    + "\": the name must be V<version>__<lowercase_words>.sql, e.g. V001__usage_events.sql");
        }
        if (sql.isBlank()) {
            throw new IllegalArgumentException("migration file \"" + fileName + "\": is empty");
        }
        return new Migration(Integer.parseInt(m.group(1)), m.group(2), sql);
    }

    /** SHA-256 of the text, in hex; line endings are normalised so a checkout on another OS does not differ. */
    public String checksum() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(sql.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public int compareTo(Migration other) {
        return Integer.compare(version, other.version);
    }
}
