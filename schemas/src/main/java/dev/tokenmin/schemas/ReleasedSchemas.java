package dev.tokenmin.schemas;

import org.apache.avro.Schema;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Every released version of each record's schema, kept as {@code released/<Record>/v<N>.avsc} beside this class.
 * The compatibility test checks the current schemas against them; readers of data an older release wrote (the
 * agent's spool after an upgrade) decode with them.
 */
public final class ReleasedSchemas {

    private ReleasedSchemas() {
    }

    /** The released versions of the record named like {@code current}, oldest first; empty if none. */
    public static List<Schema> of(Schema current) {
        List<Schema> released = new ArrayList<>();
        for (int version = 1; ; version++) {
            String path = path(current.getName(), version);
            try (InputStream in = ReleasedSchemas.class.getResourceAsStream(path)) {
                if (in == null) {
                    return released;
                }
                released.add(new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + path, e);
            }
        }
    }

    /** Where version {@code version} of {@code record} is kept, relative to this class. */
    public static String path(String record, int version) {
        return "released/" + record + "/v" + version + ".avsc";
    }
}
