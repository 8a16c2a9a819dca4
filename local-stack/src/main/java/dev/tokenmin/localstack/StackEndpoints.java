package dev.tokenmin.localstack;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

/**
 * Where the services of a stack listen. It can be written to and read from a properties file, so a stack
 * started by the {@code local-stack} command can be shared with test runs and tools
 * ({@code -Dtokenmin.stack.endpoints=FILE}).
 */
public record StackEndpoints(String kafkaBootstrapServers, String schemaRegistryUrl, String clickHouseUrl) {

    public static final String KAFKA = "kafka.bootstrap.servers";
    public static final String REGISTRY = "schema.registry.url";
    public static final String CLICKHOUSE = "clickhouse.url";

    public StackEndpoints {
        Objects.requireNonNull(kafkaBootstrapServers, KAFKA);
        Objects.requireNonNull(schemaRegistryUrl, REGISTRY);
        Objects.requireNonNull(clickHouseUrl, CLICKHOUSE);
    }

    /** A clickhouse-jdbc URL for {@code database}. */
    public String clickHouseJdbcUrl(String database) {
        return "jdbc:clickhouse:" + clickHouseUrl.replaceFirst("^http:", "") + "/" + database;
    }

    /** Writes the endpoints to {@code file} atomically. */
    public void write(Path file) {
        Properties p = new Properties();
        p.setProperty(KAFKA, kafkaBootstrapServers);
        p.setProperty(REGISTRY, schemaRegistryUrl);
        p.setProperty(CLICKHOUSE, clickHouseUrl);
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".endpoints", ".tmp");
            try (Writer out = Files.newBufferedWriter(tmp)) {
                p.store(out, "tokenmin stack endpoints");
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Reads endpoints written by {@link #write}; every missing key is named in the error. */
    public static StackEndpoints read(Path file) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stack endpoints from " + file, e);
        }
        List<String> missing = new ArrayList<>();
        for (String key : List.of(KAFKA, REGISTRY, CLICKHOUSE)) {
            if (p.getProperty(key, "").isBlank()) {
                missing.add(key);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(file + " lacks " + String.join(", ", missing));
        }
        return new StackEndpoints(p.getProperty(KAFKA), p.getProperty(REGISTRY), p.getProperty(CLICKHOUSE));
    }
}
