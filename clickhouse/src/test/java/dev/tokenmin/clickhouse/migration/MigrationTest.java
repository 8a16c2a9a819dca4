package dev.tokenmin.clickhouse.migration;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MigrationTest {

    @Test
    void shouldReadVersionAndDescriptionFromTheFileName() {
        Migration m = Migration.of("V007__usage_events.sql", "CREATE TABLE usage_events (x UInt8) ENGINE = Memory");

        assertThat(m.version()).isEqualTo(7);
        assertThat(m.description()).isEqualTo("usage_events");
    }

    @Test
    void shouldOrderByVersionNumberNotByText() {
        List<Migration> migrations = new ArrayList<>(List.of(
                Migration.of("V10__ten.sql", "SELECT 10"),
                Migration.of("V9__nine.sql", "SELECT 9"),
                Migration.of("V100__hundred.sql", "SELECT 100")));

        Collections.sort(migrations);

        assertThat(migrations).extracting(Migration::version).containsExactly(9, 10, 100);
    }

    @Test
    void shouldChangeTheChecksumWhenTheTextChangesButNotWithLineEndings() {
        Migration unix = Migration.of("V1__a.sql", "CREATE TABLE a (x UInt8)\nENGINE = Memory");
        Migration windows = Migration.of("V1__a.sql", "CREATE TABLE a (x UInt8)\r\nENGINE = Memory");
        Migration edited = Migration.of("V1__a.sql", "CREATE TABLE a (x UInt16)\nENGINE = Memory");

        assertThat(unix.checksum()).hasSize(64).isEqualTo(windows.checksum()).isNotEqualTo(edited.checksum());
    }

    @Test
    void shouldNameTheFileWhoseNameIsWrong() {
        assertThatThrownBy(() -> Migration.of("001_usage.sql", "SELECT 1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("001_usage.sql")
                .hasMessageContaining("V<version>__");
        assertThatThrownBy(() -> Migration.of("V1__empty.sql", "  \n"))
                .hasMessageContaining("V1__empty.sql").hasMessageContaining("empty");
    }
}
