package dev.tokenmin.localstack.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Writes the tiny agent jar that carries {@link ParentWatchdog} into every child JVM. It is made from this
 * module's own class file at run time, so it works the same from the IDE, from Maven and from a packaged jar.
 */
final class WatchdogAgentJar {

    private static Path path;

    private WatchdogAgentJar() {
    }

    /** The agent jar's path, written on first use into a folder private to this JVM. */
    static synchronized Path path() {
        if (path == null) {
            path = write();
        }
        return path;
    }

    private static Path write() {
        String entry = ParentWatchdog.class.getName().replace('.', '/') + ".class";
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(new Attributes.Name("Premain-Class"), ParentWatchdog.class.getName());
        try (InputStream classFile = ParentWatchdog.class.getClassLoader().getResourceAsStream(entry)) {
            if (classFile == null) {
                throw new IllegalStateException("class file not found on the class path: " + entry);
            }
            Path dir = Files.createTempDirectory("tokenmin-watchdog");
            Path tmp = dir.resolve("watchdog.jar.tmp");
            try (OutputStream out = Files.newOutputStream(tmp); JarOutputStream jar = new JarOutputStream(out, manifest)) {
                jar.putNextEntry(new JarEntry(entry));
                classFile.transferTo(jar);
                jar.closeEntry();
            }
            Path jarPath = dir.resolve("watchdog.jar");
            Files.move(tmp, jarPath, StandardCopyOption.ATOMIC_MOVE);
            jarPath.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return jarPath;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the watchdog agent jar", e);
        }
    }
}
