package dev.tokenmin.localstack.containers;

import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.StackEndpoints;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.clickhouse.ClickHouseContainer;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The same stack from container images, for machines with a Docker engine: {@code apache/kafka},
 * {@code apicurio/apicurio-registry} (global compatibility BACKWARD, like the local stack) and
 * {@code clickhouse/clickhouse-server}. The versions match the local stack's.
 */
public final class ContainerStack implements Stack {

    public static final DockerImageName KAFKA = DockerImageName.parse("apache/kafka:4.3.1");
    public static final DockerImageName REGISTRY = DockerImageName.parse("apicurio/apicurio-registry:3.3.3");
    public static final DockerImageName CLICKHOUSE = DockerImageName.parse("clickhouse/clickhouse-server:26.5");

    private static final int REGISTRY_PORT = 8080;
    private static final int CLICKHOUSE_HTTP_PORT = 8123;

    private final KafkaContainer kafka;
    private final GenericContainer<?> registry;
    private final ClickHouseContainer clickHouse;

    private ContainerStack(KafkaContainer kafka, GenericContainer<?> registry, ClickHouseContainer clickHouse) {
        this.kafka = kafka;
        this.registry = registry;
        this.clickHouse = clickHouse;
    }

    /** True when Testcontainers can reach a Docker engine. */
    public static boolean dockerAvailable() {
        return DockerClientFactory.instance().isDockerAvailable();
    }

    /** Starts the three containers; fails with a clear message where there is no Docker engine. */
    public static ContainerStack start() {
        if (!dockerAvailable()) {
            throw new IllegalStateException("tokenmin.stack=containers needs a Docker engine, and none is reachable; "
                    + "use the default local stack");
        }
        KafkaContainer kafka = new KafkaContainer(KAFKA)
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1");
        GenericContainer<?> registry = new GenericContainer<>(REGISTRY)
                .withExposedPorts(REGISTRY_PORT)
                .withEnv("APICURIO_RULES_GLOBAL_COMPATIBILITY", "BACKWARD")
                .waitingFor(Wait.forHttp("/apis/ccompat/v7/subjects").forStatusCode(200));
        ClickHouseContainer clickHouse = new ClickHouseContainer(CLICKHOUSE);
        kafka.start();
        registry.start();
        clickHouse.start();
        return new ContainerStack(kafka, registry, clickHouse);
    }

    @Override
    public StackEndpoints endpoints() {
        return new StackEndpoints(kafka.getBootstrapServers(),
                "http://" + registry.getHost() + ":" + registry.getMappedPort(REGISTRY_PORT) + "/apis/ccompat/v7",
                "http://" + clickHouse.getHost() + ":" + clickHouse.getMappedPort(CLICKHOUSE_HTTP_PORT));
    }

    @Override
    public void close() {
        clickHouse.stop();
        registry.stop();
        kafka.stop();
    }
}
