package dev.tokenmin.localstack;

/**
 * The services tokenmin runs against — a Kafka broker, a Confluent-compatible schema registry and ClickHouse —
 * wherever they come from: child processes on this machine ({@link LocalStack}), container images
 * ({@code ContainerStack}) or a stack already running elsewhere ({@link #attach(StackEndpoints)}).
 */
public interface Stack extends AutoCloseable {

    /** Where clients connect. */
    StackEndpoints endpoints();

    /** {@code bootstrap.servers} for Kafka clients. */
    default String kafkaBootstrapServers() {
        return endpoints().kafkaBootstrapServers();
    }

    /** Base URL of the Confluent-compatible schema registry API. */
    default String schemaRegistryUrl() {
        return endpoints().schemaRegistryUrl();
    }

    /** ClickHouse's HTTP endpoint, for client-v2. */
    default String clickHouseUrl() {
        return endpoints().clickHouseUrl();
    }

    /** A clickhouse-jdbc URL for {@code database}. */
    default String clickHouseJdbcUrl(String database) {
        return endpoints().clickHouseJdbcUrl(database);
    }

    /** Stops what this stack started; a stack it only attached to is left running. */
    @Override
    void close();

    /** A stack that someone else runs: closing it does nothing. */
    static Stack attach(StackEndpoints endpoints) {
        return new Stack() {
            @Override
            public StackEndpoints endpoints() {
                return endpoints;
            }

            @Override
            public void close() {
                // Not ours to stop.
            }
        };
    }
}
