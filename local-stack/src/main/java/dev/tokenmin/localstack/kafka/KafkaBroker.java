package dev.tokenmin.localstack.kafka;

import dev.tokenmin.localstack.BuildInfo;
import dev.tokenmin.localstack.ServiceStartException;
import dev.tokenmin.localstack.process.ChildProcess;
import dev.tokenmin.localstack.process.FreePorts;
import dev.tokenmin.localstack.process.Probes;
import dev.tokenmin.localstack.process.RestartableService;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A real Kafka broker in KRaft mode (one node that is both broker and controller) as a child process on
 * 127.0.0.1. Its home folder, chosen by the caller, holds the configuration, the data and the log; a broker
 * started again on the same home keeps its ports, its cluster id and its data, so fault tests can
 * {@link #kill()} it and {@link #restart()} it.
 *
 * <p>Internal topics (consumer offsets, transaction state) have replication factor 1 and min.insync.replicas 1,
 * so idempotent producers, transactions and Kafka Streams' exactly_once_v2 work on this single broker.
 */
public final class KafkaBroker extends RestartableService {

    /** The service name used in errors and logs. */
    public static final String SERVICE = "kafka";

    private static final String CONFIG_FILE = "server.properties";
    private static final String LOG_FILE = "broker.log";
    private static final String CLUSTER_ID_KEY = "tokenmin.cluster.id";

    private final Path home;
    private final BuildInfo build;
    private final Duration startTimeout;
    private final int brokerPort;
    private final BrokerSecurity security;

    private KafkaBroker(Path home, BuildInfo build, Duration startTimeout, int brokerPort, BrokerSecurity security) {
        super(SERVICE);
        this.home = home;
        this.build = build;
        this.startTimeout = startTimeout;
        this.brokerPort = brokerPort;
        this.security = security;
    }

    /**
     * Starts a broker in {@code home}: formats the storage on first use, otherwise reuses what is there (the
     * same ports and data). Returns once the broker answers metadata requests.
     */
    public static KafkaBroker start(Path home, BuildInfo build, Duration startTimeout) {
        return start(home, build, startTimeout, null);
    }

    /**
     * The same with {@code security} (null: plaintext): clients must then connect with SASL_SSL (SCRAM-SHA-512) and
     * are authorized by ACLs; plaintext connections are refused. Use the same security to restart on a home.
     */
    public static KafkaBroker start(Path home, BuildInfo build, Duration startTimeout, BrokerSecurity security) {
        Properties config = loadOrCreateConfig(home, security);
        int brokerPort = Integer.parseInt(config.getProperty("tokenmin.broker.port"));
        KafkaBroker broker = new KafkaBroker(home, build, startTimeout, brokerPort, security);
        broker.format(config.getProperty(CLUSTER_ID_KEY));
        broker.launch();
        return broker;
    }

    /** {@code host:port} for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    public Path home() {
        return home;
    }

    public Path log() {
        return home.resolve(LOG_FILE);
    }

    private static Properties loadOrCreateConfig(Path home, BrokerSecurity security) {
        Path file = home.resolve(CONFIG_FILE);
        try {
            Files.createDirectories(home);
            Properties p = new Properties();
            if (Files.exists(file)) {
                try (Reader in = Files.newBufferedReader(file)) {
                    p.load(in);
                }
                return p;
            }
            int brokerPort = FreePorts.pick();
            int controllerPort = FreePorts.pick();
            while (controllerPort == brokerPort) {
                controllerPort = FreePorts.pick();
            }
            p.setProperty("process.roles", "broker,controller");
            p.setProperty("node.id", "1");
            p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
            p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
            p.setProperty("controller.listener.names", "CONTROLLER");
            p.setProperty("inter.broker.listener.name", "PLAINTEXT");
            p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            p.setProperty("log.dirs", home.resolve("data").toAbsolutePath().toString());
            p.setProperty("num.partitions", "1");
            p.setProperty("auto.create.topics.enable", "false");
            p.setProperty("offsets.topic.replication.factor", "1");
            p.setProperty("offsets.topic.num.partitions", "8");
            p.setProperty("transaction.state.log.replication.factor", "1");
            p.setProperty("transaction.state.log.min.isr", "1");
            p.setProperty("transaction.state.log.num.partitions", "8");
            p.setProperty("share.coordinator.state.topic.replication.factor", "1");
            p.setProperty("share.coordinator.state.topic.min.isr", "1");
            p.setProperty("min.insync.replicas", "1");
            p.setProperty("group.initial.rebalance.delay.ms", "0");
            if (security != null) {
                p.setProperty("listeners", "SASL_SSL://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:"
                        + controllerPort);
                p.setProperty("advertised.listeners", "SASL_SSL://127.0.0.1:" + brokerPort);
                p.putAll(security.brokerSettings());
            }
            // Not Kafka settings: what this class needs to restart on the same data.
            p.setProperty("tokenmin.broker.port", String.valueOf(brokerPort));
            p.setProperty("tokenmin.controller.port", String.valueOf(controllerPort));
            p.setProperty(CLUSTER_ID_KEY, Uuid.randomUuid().toString());
            try (Writer out = Files.newBufferedWriter(file)) {
                p.store(out, "tokenmin local stack: single-node KRaft broker");
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the broker configuration in " + home, e);
        }
    }

    private void format(String clusterId) {
        if (Files.exists(home.resolve("data").resolve("meta.properties"))) {
            return;
        }
        List<String> args = new ArrayList<>(List.of(
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", build.childClassPathArgument(),
                "kafka.tools.StorageTool", "format", "--cluster-id", clusterId,
                "--config", home.resolve(CONFIG_FILE).toString(), "--ignore-formatted"));
        if (security != null) {
            args.addAll(security.formatArguments());
        }
        ChildProcess.runJava(SERVICE + " (storage format)", args, home, log(), startTimeout);
    }

    @Override
    protected ChildProcess startProcess() {
        ChildProcess process = ChildProcess.startJava(SERVICE, List.of(
                "-Xms128m", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:+ExitOnOutOfMemoryError",
                "-Djava.awt.headless=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-Dorg.slf4j.simpleLogger.log.org.apache.kafka=info",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-cp", build.childClassPathArgument(),
                "kafka.Kafka", home.resolve(CONFIG_FILE).toString()),
                home, log(), Map.of());
        process.awaitReady(startTimeout, this::answersMetadata);
        return process;
    }

    private boolean answersMetadata() {
        if (!Probes.accepts(brokerPort)) {
            return false;
        }
        Map<String, Object> config = new HashMap<>(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000));
        if (security != null) {
            config.putAll(security.adminClient());
        }
        try (Admin admin = Admin.create(config)) {
            return !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                throw new ServiceStartException(SERVICE, log(), "interrupted while waiting");
            }
            return false;
        }
    }
}
