package dev.tokenmin.clickhouse.migration;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The migrations shipped with tokenmin: {@code dev/tokenmin/clickhouse/migrations/index.txt} lists the files in
 * order (a jar cannot be listed), each {@code V<n>__<words>.sql} beside it.
 */
public final class Migrations {

    private static final String FOLDER = "/dev/tokenmin/clickhouse/migrations/";

    private Migrations() {
    }

    /** @throws IllegalStateException when the index names a missing file, repeats a version or is out of order */
    public static List<Migration> bundled() {
        List<Migration> out = new ArrayList<>();
        Set<Integer> versions = new HashSet<>();
        for (String line : read("index.txt").split("\n")) {
            String name = line.strip();
            if (name.isEmpty() || name.startsWith("#")) {
                continue;
            }
            Migration m = Migration.of(name, read(name));
            if (!versions.add(m.version()) || !out.isEmpty() && out.getLast().version() > m.version()) {
                throw new IllegalStateException("migrations index: " + name + " repeats or goes back in version");
            }
            out.add(m);
        }
        return List.copyOf(out);
    }

    private static String read(String name) {
        try (InputStream in = Migrations.class.getResourceAsStream(FOLDER + name)) {
            if (in == null) {
                throw new IllegalStateException("migrations index names " + name + ", which is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
