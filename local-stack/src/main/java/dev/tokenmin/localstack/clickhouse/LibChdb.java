package dev.tokenmin.localstack.clickhouse;

import dev.tokenmin.localstack.Folders;
import dev.tokenmin.localstack.ServiceStartException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Finds libchdb, the ClickHouse engine as a shared library, and installs it on first use.
 *
 * <p>libchdb ships in the npm package {@code @chdb/lib-linux-x64-gnu}; it is fetched with the machine's own
 * {@code npm pack} (no other download path is used), unpacked with {@code tar} and cached outside the work tree,
 * keyed by version: {@code <cache>/libchdb/<version>/libchdb.so}, where {@code <cache>} is
 * {@code $TOKENMIN_CACHE_DIR}, else {@code $XDG_CACHE_HOME/tokenmin}, else {@code ~/.cache/tokenmin}. Installing is
 * idempotent and safe from several processes at once (a file lock). {@code $TOKENMIN_LIBCHDB} names a library to
 * use instead.
 */
public final class LibChdb {

    /** The npm package that carries libchdb for Linux x86_64 with glibc. */
    public static final String NPM_PACKAGE = "@chdb/lib-linux-x64-gnu";

    private static final String SERVICE = "clickhouse (libchdb install)";

    private LibChdb() {
    }

    /** The cache folder shared by tokenmin's tools on this machine. */
    public static Path cacheDir() {
        String explicit = System.getenv("TOKENMIN_CACHE_DIR");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "tokenmin");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "tokenmin");
    }

    /** The path of libchdb {@code version}, installing it first if it is not in the cache. */
    @SuppressWarnings("try") // the lock is held for the try block's duration, never referenced
    public static Path ensureInstalled(String version) {
        String override = System.getenv("TOKENMIN_LIBCHDB");
        if (override != null && !override.isBlank()) {
            Path lib = Path.of(override);
            if (!Files.isRegularFile(lib)) {
                throw new ServiceStartException(SERVICE, null, "TOKENMIN_LIBCHDB names " + lib + ", which is not a file");
            }
            return lib;
        }
        Path versionDir = cacheDir().resolve("libchdb").resolve(version);
        Path lib = versionDir.resolve("libchdb.so");
        if (Files.isRegularFile(lib)) {
            return lib;
        }
        try {
            Files.createDirectories(versionDir);
            try (FileChannel lockFile = FileChannel.open(versionDir.resolve(".install.lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = lockFile.lock()) {
                if (!Files.isRegularFile(lib)) {
                    install(version, versionDir, lib);
                }
            }
            return lib;
        } catch (IOException e) {
            throw new ServiceStartException(SERVICE, null, "cannot install libchdb into " + versionDir, e);
        }
    }

    private static void install(String version, Path versionDir, Path lib) throws IOException {
        Path work = Files.createTempDirectory(versionDir, "install-");
        Path log = versionDir.resolve("install.log");
        try {
            String spec = NPM_PACKAGE + "@" + version;
            run(List.of("npm", "pack", spec, "--silent", "--pack-destination", work.toString()), work, log,
                    "npm pack " + spec + " failed; the local ClickHouse needs npm and the npm registry to fetch libchdb once");
            Path tarball;
            try (Stream<Path> files = Files.list(work)) {
                tarball = files.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst()
                        .orElseThrow(() -> new ServiceStartException(SERVICE, log, "npm pack wrote no .tgz into " + work));
            }
            run(List.of("tar", "-xzf", tarball.toString(), "-C", work.toString(), "package/libchdb.so"), work, log,
                    "cannot unpack libchdb.so from " + tarball);
            Files.move(work.resolve("package/libchdb.so"), lib, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Folders.deleteRecursively(work);
        }
    }

    private static void run(List<String> command, Path dir, Path log, String failure) throws IOException {
        Process process;
        try {
            process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new ServiceStartException(SERVICE, log, command.getFirst() + " is not installed: " + failure, e);
        }
        try {
            if (!process.waitFor(15, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new ServiceStartException(SERVICE, log, failure + " (timed out)");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ServiceStartException(SERVICE, log, "interrupted");
        }
        if (process.exitValue() != 0) {
            throw new ServiceStartException(SERVICE, log, failure + " (exit code " + process.exitValue() + ")");
        }
    }

}
