package dev.tokenmin.localstack;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StackEndpointsTest {

    @Test
    void shouldRoundTripThroughAFile(@TempDir Path dir) {
        StackEndpoints endpoints = new StackEndpoints("127.0.0.1:9092", "http://127.0.0.1:8081/apis/ccompat/v7",
                "http://127.0.0.1:8123");
        Path file = dir.resolve("endpoints.properties");

        endpoints.write(file);

        assertThat(StackEndpoints.read(file)).isEqualTo(endpoints);
        assertThat(endpoints.clickHouseJdbcUrl("db")).isEqualTo("jdbc:clickhouse://127.0.0.1:8123/db");
    }

    @Test
    void shouldNameEveryMissingKey(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("partial.properties");
        Files.writeString(file, "kafka.bootstrap.servers=127.0.0.1:9092\n");

        assertThatThrownBy(() -> StackEndpoints.read(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schema.registry.url")
                .hasMessageContaining("clickhouse.url");
    }
}
