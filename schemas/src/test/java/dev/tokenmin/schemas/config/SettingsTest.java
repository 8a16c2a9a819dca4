package dev.tokenmin.schemas.config;

import org.junit.jupiter.api.Test;

import java.time.DayOfWeek;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettingsTest {

    @Test
    void shouldReportEveryBadKeyAtOnceAndKeepDefaultsForAbsentOnes() {
        Settings settings = new Settings(Map.of("a.count", "-3", "b.port", "70000", "c.day", "someday",
                "d.size", "big"));

        assertThat(settings.positiveLong("a.count", 1)).isEqualTo(-3);
        assertThat(settings.intBetween("b.port", 8080, 0, 65_535)).isEqualTo(70_000);
        assertThat(settings.oneOf("c.day", DayOfWeek.class, DayOfWeek.MONDAY)).isEqualTo(DayOfWeek.MONDAY);
        assertThat(settings.positiveLong("d.size", 10)).isEqualTo(10);
        assertThat(settings.positiveLong("absent", 7)).isEqualTo(7);
        assertThat(settings.required("e.url")).isNull();

        assertThatThrownBy(() -> settings.throwIfAny("test configuration"))
                .hasMessageStartingWith("test configuration: ")
                .hasMessageContaining("a.count: must be positive, was -3")
                .hasMessageContaining("b.port: must be between 0 and 65535, was 70000")
                .hasMessageContaining("c.day: one of [monday,")
                .hasMessageContaining("d.size: not a whole number: \"big\"")
                .hasMessageContaining("e.url: missing");
    }

    @Test
    void shouldReadEnvironmentVariablesAsPropertiesAndPrefixedGroups() {
        Map<String, String> props = Settings.fromEnvironment(Map.of("TOKENMIN_SPOOL_DIR", "/var/spool",
                "TOKENMIN_KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "HOME", "/root"));

        assertThat(props).containsOnly(Map.entry("spool.dir", "/var/spool"),
                Map.entry("kafka.security.protocol", "SASL_SSL"));
        assertThat(new Settings(props).prefixed("kafka.")).containsOnly(Map.entry("security.protocol", "SASL_SSL"));
        assertThat(new Settings(Map.of("x", "ok")).hasErrors()).isFalse();
    }
}
