package dev.tokenmin.localstack.clickhouse;

import dev.tokenmin.localstack.BuildInfo;
import dev.tokenmin.localstack.process.ChildProcess;
import dev.tokenmin.localstack.process.FreePorts;
import dev.tokenmin.localstack.process.Probes;
import dev.tokenmin.localstack.process.RestartableService;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The local ClickHouse as a child process: the ClickHouse 26.5 engine from libchdb behind ClickHouse's HTTP
 * interface ({@link ClickHouseServerMain}) on 127.0.0.1. Data lives in the caller's folder and survives
 * {@link #kill()} and {@link #restart()}, which keep the port, so fault tests can take ClickHouse away and back.
 */
public final class ClickHouseServer extends RestartableService {

    /** The service name used in errors and logs. */
    public static final String SERVICE = "clickhouse";

    private final Path home;
    private final Path library;
    private final int port;
    private final Duration startTimeout;
    private final BuildInfo build;

    private ClickHouseServer(Path home, Path library, int port, Duration startTimeout, BuildInfo build) {
        super(SERVICE);
        this.home = home;
        this.library = library;
        this.port = port;
        this.startTimeout = startTimeout;
        this.build = build;
    }

    /**
     * Installs libchdb if needed (see {@link LibChdb}), then starts the server with its data in
     * {@code home/data}; returns once it answers {@code /ping}.
     */
    public static ClickHouseServer start(Path home, BuildInfo build, Duration startTimeout) {
        Path library = LibChdb.ensureInstalled(build.libchdbVersion());
        ClickHouseServer server = new ClickHouseServer(home, library, FreePorts.pick(), startTimeout, build);
        server.launch();
        return server;
    }

    /** The HTTP endpoint, {@code http://127.0.0.1:port}, for client-v2. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** A JDBC URL for clickhouse-jdbc, for {@code database}. */
    public String jdbcUrl(String database) {
        return "jdbc:clickhouse://127.0.0.1:" + port + "/" + database;
    }

    public int port() {
        return port;
    }

    public Path log() {
        return home.resolve("clickhouse.log");
    }

    @Override
    protected ChildProcess startProcess() {
        ChildProcess process = ChildProcess.startJava(SERVICE, List.of(
                "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
                "--enable-native-access=ALL-UNNAMED",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-cp", build.childClassPathArgument(),
                ClickHouseServerMain.class.getName(),
                "--lib", library.toString(),
                "--data", home.resolve("data").toAbsolutePath().toString(),
                "--port", String.valueOf(port)),
                home, log(), Map.of("TZ", "UTC"));
        process.awaitReady(startTimeout, () -> Probes.answers200(url() + "/ping"));
        return process;
    }
}
