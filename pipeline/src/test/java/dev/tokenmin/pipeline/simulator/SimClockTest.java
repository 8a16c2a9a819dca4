package dev.tokenmin.pipeline.simulator;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SimClockTest {

    @Test
    void theSpanIsDurationTimesSpeedOnAWholeHourEndingBeforeNow() {
        Instant now = Instant.parse("2026-11-22T21:17:06Z");
        SimClock clock = SimClock.replaying(now, Duration.ofMinutes(2), 240);
        assertThat(clock.start()).isEqualTo(Instant.parse("2026-11-22T13:00:00Z"));
        assertThat(clock.end()).isEqualTo(Instant.parse("2026-11-22T21:00:00Z")).isBeforeOrEqualTo(now);
        assertThat(clock.realDuration()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void simulatedTimeRunsAtItsSpeedAndStopsAtTheEnd() {
        SimClock clock = SimClock.replaying(Instant.parse("2026-11-22T21:00:00Z"), Duration.ofSeconds(30), 3_600);
        clock.startNow();
        Instant now = clock.now();
        assertThat(now).isBetween(clock.start(), clock.end());
        // an hour of simulated time is a second of real time
        long nanos = clock.realNanosUntil(clock.start().plus(Duration.ofHours(1)));
        assertThat(nanos).isBetween(900_000_000L, 1_000_000_000L);
        assertThat(clock.realNanosUntil(clock.start().minusSeconds(3_600))).isNegative();
    }

    @Test
    void speedMustBePositive() {
        assertThatThrownBy(() -> SimClock.replaying(Instant.now(), Duration.ofMinutes(1), 0))
                .hasMessageContaining("speed");
    }
}
