package dev.tokenmin.localstack.containers;

import dev.tokenmin.localstack.StackEndpoints;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Testcontainers;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same stack API backed by container images. Needs a Docker engine: where none is reachable (as on the
 * project's build machines) JUnit reports these tests as skipped with Testcontainers' reason, "Docker is not
 * available"; the local stack's tests cover the same ground there and never skip.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerStackIT {

    private static ContainerStack stack;

    @BeforeAll
    static void start() {
        stack = ContainerStack.start();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldServeKafkaRegistryAndClickHouse() throws Exception {
        StackEndpoints endpoints = stack.endpoints();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", endpoints.kafkaBootstrapServers()))) {
            assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).isNotEmpty();
        }
        HttpResponse<String> subjects = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(endpoints.schemaRegistryUrl() + "/subjects")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(subjects.statusCode()).isEqualTo(200);
        Properties p = new Properties();
        p.setProperty("user", "test");
        p.setProperty("password", "test");
        try (Connection c = DriverManager.getConnection(endpoints.clickHouseJdbcUrl("default"), p);
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT sum(number) FROM numbers(10)")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(45);
        }
    }
}
