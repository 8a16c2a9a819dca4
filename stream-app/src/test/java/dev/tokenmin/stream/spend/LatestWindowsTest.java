package dev.tokenmin.stream.spend;

import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.WindowKind;
import dev.tokenmin.stream.serde.InternalSerdes;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LatestWindowsTest {

    private static long at(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    @Test
    void shouldBoundEachKindsWindowsIncludingMonthsOfDifferentLengths() {
        long t = at("2026-11-22T14:05:59.999Z");
        assertThat(LatestWindows.startOf(WindowKind.MINUTE, t)).isEqualTo(at("2026-11-22T14:05:00Z"));
        assertThat(LatestWindows.startOf(WindowKind.HOUR, t)).isEqualTo(at("2026-11-22T14:00:00Z"));
        assertThat(LatestWindows.startOf(WindowKind.DAY, t)).isEqualTo(at("2026-11-22T00:00:00Z"));
        assertThat(LatestWindows.startOf(WindowKind.MONTH, t)).isEqualTo(at("2026-11-01T00:00:00Z"));
        assertThat(LatestWindows.endOf(WindowKind.MINUTE, at("2026-11-22T14:05:00Z")))
                .isEqualTo(at("2026-11-22T14:06:00Z"));
        assertThat(LatestWindows.endOf(WindowKind.MONTH, at("2028-02-01T00:00:00Z")))
                .as("a leap February").isEqualTo(at("2028-03-01T00:00:00Z"));
        assertThat(LatestWindows.endOf(WindowKind.MONTH, at("2026-12-01T00:00:00Z")))
                .isEqualTo(at("2027-01-01T00:00:00Z"));
        assertThat(LatestWindows.startOf(WindowKind.HOUR, at("1969-12-31T23:30:00Z")))
                .as("before the epoch, still the hour's start").isEqualTo(at("1969-12-31T23:00:00Z"));
        assertThatThrownBy(() -> LatestWindows.startOf(WindowKind.SESSION, t))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRoundTripAScopesLatestWindowsThroughTheStoreEncoding() {
        LatestWindows latest = new LatestWindows();
        long t = at("2026-11-22T14:05:00Z");
        SpendDelta u = new SpendDelta(t, t, 1, 0, 1_234_567, 100, 20, 3, 40, 5,
                List.of(new SpendDelta.ModelDelta("openai", "gpt-4.1", 1, 1_234_567, 100, 40)), Map.of());
        for (WindowKind kind : new WindowKind[] {WindowKind.HOUR, WindowKind.MONTH}) {
            latest.set(SpendAggregates.add(LatestWindows.emptyWindow("customer:acme", kind,
                    LatestWindows.startOf(kind, u.firstAt())), u));
        }

        var serde = InternalSerdes.latestWindows();
        LatestWindows back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", latest));

        assertThat(back.get(WindowKind.MINUTE)).isNull();
        assertThat(back.get(WindowKind.DAY)).isNull();
        SpendAggregate month = back.get(WindowKind.MONTH);
        assertThat(month).isEqualTo(latest.get(WindowKind.MONTH));
        assertThat(month.getWindowEnd()).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
        assertThat(month.getCostNanos()).isEqualTo(1_234_567);
        assertThat(month.getByModel()).singleElement().satisfies(m -> assertThat(m.getModel()).isEqualTo("gpt-4.1"));
        assertThat(back.get(WindowKind.HOUR).getScope()).isEqualTo("customer:acme");
    }
}
