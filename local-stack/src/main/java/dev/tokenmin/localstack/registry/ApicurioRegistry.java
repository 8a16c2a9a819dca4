package dev.tokenmin.localstack.registry;

import dev.tokenmin.localstack.BuildInfo;
import dev.tokenmin.localstack.ServiceStartException;
import dev.tokenmin.localstack.process.ChildProcess;
import dev.tokenmin.localstack.process.FreePorts;
import dev.tokenmin.localstack.process.Probes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Apicurio Registry as a child process on 127.0.0.1: a real, Confluent-compatible schema registry serving
 * {@code /apis/ccompat/v7}, with global compatibility BACKWARD (Confluent's default; Apicurio's own is NONE).
 * Storage is in memory, so schemas live as long as the process.
 *
 * <p>It runs from Apicurio's prebuilt distribution on Maven Central, which this module's build unpacks; Confluent's
 * own registry is not published there.
 */
public final class ApicurioRegistry implements AutoCloseable {

    /** The service name used in errors and logs. */
    public static final String SERVICE = "schema-registry";

    /** Path of the Confluent-compatible API below the registry's root URL. */
    public static final String CCOMPAT_PATH = "/apis/ccompat/v7";

    private final int port;
    private final ChildProcess process;

    private ApicurioRegistry(int port, ChildProcess process) {
        this.port = port;
        this.process = process;
    }

    /** Starts the registry with its working folder and log in {@code home}; returns once the API answers. */
    public static ApicurioRegistry start(Path home, BuildInfo build, Duration startTimeout) {
        Path runner = build.apicurioHome().resolve("quarkus-run.jar");
        Path log = home.resolve("registry.log");
        if (!Files.isRegularFile(runner)) {
            throw new ServiceStartException(SERVICE, log, "Apicurio Registry " + build.apicurioVersion()
                    + " is not unpacked at " + build.apicurioHome() + "; build the local-stack module with Maven");
        }
        int port = FreePorts.pick();
        int managementPort = FreePorts.pick();
        ChildProcess process = ChildProcess.startJava(SERVICE, List.of(
                // Lean flags measured for this 2-core machine: ready in about 5 s, about 260 MB resident.
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.management.host=127.0.0.1",
                "-Dquarkus.management.port=" + managementPort,
                "-Dapicurio.rules.global.compatibility=BACKWARD",
                "-Dquarkus.log.console.format=%d{HH:mm:ss.SSS} %-5p [%c{2.}] %s%e%n",
                "-jar", runner.toString()),
                home, log, Map.of());
        ApicurioRegistry registry = new ApicurioRegistry(port, process);
        process.awaitReady(startTimeout, () -> Probes.answers200(registry.ccompatUrl() + "/subjects"));
        return registry;
    }

    /** The registry's root URL, {@code http://127.0.0.1:port}. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The base URL of the Confluent-compatible API, which Confluent-protocol clients are given. */
    public String ccompatUrl() {
        return url() + CCOMPAT_PATH;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return process.log();
    }

    @Override
    public void close() {
        process.close();
    }
}
