package dev.tokenmin.stream.spend;

import dev.tokenmin.avro.WindowKind;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class SpendAggregatesTest {

    @Test
    void shouldNameEachWindowByItsOwnStartWhateverTheOrderOfStartsAndKinds() {
        Instant[] starts = {Instant.parse("2026-11-23T21:00:00Z"), Instant.parse("2026-11-23T21:01:00Z"),
                Instant.parse("2026-11-23T21:00:00Z"), Instant.parse("2026-11-01T00:00:00Z"),
                Instant.parse("2026-11-23T21:01:00.123Z")};
        for (Instant start : starts) {
            for (WindowKind kind : WindowKind.values()) {
                assertThat(SpendAggregates.key("customer:acme/user:u1", kind, start))
                        .isEqualTo("customer:acme/user:u1|" + kind.name() + "|" + start);
            }
        }
        assertThat(SpendAggregates.key("global", WindowKind.HOUR, Instant.parse("2026-11-23T21:00:00Z")))
                .isEqualTo("global|HOUR|2026-11-23T21:00:00Z");
    }
}
