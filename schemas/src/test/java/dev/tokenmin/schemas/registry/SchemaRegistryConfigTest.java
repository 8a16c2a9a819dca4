package dev.tokenmin.schemas.registry;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaRegistryConfigTest {

    @Test
    void shouldReadConfluentStylePropertiesWithDefaults() {
        SchemaRegistryConfig config = SchemaRegistryConfig.fromProperties(Map.of(
                "schema.registry.url", "https://registry.example:8081/,https://other:8081",
                "basic.auth.user.info", "svc:s3cret",
                "schema.registry.max.attempts", "5"));

        assertThat(config.url()).hasToString("https://registry.example:8081");
        assertThat(config.maxAttempts()).isEqualTo(5);
        assertThat(config.requestTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.toString()).contains("auth=basic").doesNotContain("s3cret");
    }

    @Test
    void shouldReportEveryKeyAtFaultAtOnce() {
        assertThatThrownBy(() -> SchemaRegistryConfig.fromProperties(Map.of(
                "schema.registry.url", "ftp://nope",
                "schema.registry.request.timeout.ms", "-1",
                "schema.registry.max.attempts", "many",
                "basic.auth.user.info", "no-colon",
                "bearer.auth.token", "t")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schema.registry.url: must be an http or https URL")
                .hasMessageContaining("schema.registry.request.timeout.ms: must be positive")
                .hasMessageContaining("schema.registry.max.attempts: not a whole number")
                .hasMessageContaining("basic.auth.user.info: must be user:password")
                .hasMessageContaining("set one, not both")
                .hasMessageNotContaining("no-colon");
        assertThatThrownBy(() -> SchemaRegistryConfig.fromProperties(Map.of()))
                .hasMessageContaining("schema.registry.url: missing");
    }
}
