package dev.tokenmin.localstack;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * What this module's build wrote for the local stack to find at run time: versions, where Apicurio Registry was
 * unpacked, and the class path of the child JVMs (the Kafka broker and the ClickHouse server).
 */
public record BuildInfo(String kafkaVersion, String apicurioVersion, Path apicurioHome, String libchdbVersion,
                        List<Path> childClassPath) {

    private static final String PROPERTIES = "build.properties";
    private static final String CLASSPATH = "child.classpath";

    /** Reads the build's resources from this module's class path. */
    public static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = resource(PROPERTIES)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + PROPERTIES, e);
        }
        List<Path> classPath = new ArrayList<>();
        classPath.add(ownLocation());
        try (InputStream in = resource(CLASSPATH)) {
            for (String entry : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim().split(
                    java.io.File.pathSeparator)) {
                if (!entry.isBlank()) {
                    classPath.add(Path.of(entry.trim()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + CLASSPATH, e);
        }
        return new BuildInfo(p.getProperty("kafka.version"), p.getProperty("apicurio.version"),
                Path.of(p.getProperty("apicurio.home")), p.getProperty("libchdb.version"), List.copyOf(classPath));
    }

    /** The child class path as one {@code -cp} argument. */
    public String childClassPathArgument() {
        return String.join(java.io.File.pathSeparator, childClassPath.stream().map(Path::toString).toList());
    }

    private static InputStream resource(String name) {
        InputStream in = BuildInfo.class.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException("resource " + name + " is missing next to " + BuildInfo.class.getName()
                    + ": build the local-stack module with Maven (./tokenmin builds it)");
        }
        return in;
    }

    /** This module's classes: a folder when run from the build, or its jar. */
    private static Path ownLocation() {
        try {
            return Path.of(BuildInfo.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the local-stack classes", e);
        }
    }
}
