package dev.tokenmin.stream.app;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StallWatchdogTest {

    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final Duration EVERY = Duration.ofSeconds(5);

    private long now = 1_000_000_000L;
    private StallWatchdog.Snapshot seen = new StallWatchdog.Snapshot(State.REBALANCING, "t1 PARTITIONS_ASSIGNED [0_0]");
    private final List<Duration> stalls = new ArrayList<>();
    private final StallWatchdog watchdog = new StallWatchdog(LIMIT, EVERY, () -> seen, () -> now, stalls::add);

    /** Checks every 5 s for {@code seconds}. */
    private void watch(int seconds) {
        for (int s = 0; s < seconds; s += 5) {
            watchdog.check();
            now += EVERY.toNanos();
        }
        watchdog.check();
    }

    @Test
    void shouldFireOnceWhenNothingChangesInRebalancingForTheLimit() {
        watch(55);
        assertThat(stalls).isEmpty();

        watch(5);
        assertThat(stalls).containsExactly(Duration.ofSeconds(60));

        watch(120);
        assertThat(stalls).as("once").hasSize(1);
    }

    @Test
    void shouldTakeAThreadOrTaskChangeAsProgress() {
        watch(50);
        seen = new StallWatchdog.Snapshot(State.REBALANCING, "t1 PARTITIONS_ASSIGNED [0_0, 0_1]");
        watch(50);
        assertThat(stalls).as("50 s since the tasks changed").isEmpty();

        watch(10);
        assertThat(stalls).containsExactly(Duration.ofSeconds(60));
    }

    @Test
    void shouldTakeARestoredBatchAsProgressSoALongRestoreIsNeverAStall() {
        TopicPartition changelog = new TopicPartition("app-spend-day-store-changelog", 0);
        watchdog.onRestoreStart(changelog, "spend-day-store", 0, 10_000_000);
        for (int minute = 0; minute < 10; minute++) {
            watch(50);
            watchdog.onBatchRestored(changelog, "spend-day-store", minute * 1_000_000L, 1_000_000);
        }
        assertThat(stalls).isEmpty();

        watchdog.onRestoreEnd(changelog, "spend-day-store", 10_000_000);
        watch(55);
        assertThat(stalls).isEmpty();
        watch(10);
        assertThat(stalls).hasSize(1);
    }

    @Test
    void shouldNeverFireWhileRunningOrStopping() {
        for (State state : List.of(State.RUNNING, State.PENDING_SHUTDOWN, State.NOT_RUNNING, State.ERROR,
                State.CREATED)) {
            seen = new StallWatchdog.Snapshot(state, null);
            watch(600);
        }
        assertThat(stalls).isEmpty();
    }

    @Test
    void shouldStartAgainAfterRunningInBetween() {
        watch(50);
        seen = new StallWatchdog.Snapshot(State.RUNNING, "t1 RUNNING [0_0]");
        watch(5);
        seen = new StallWatchdog.Snapshot(State.REBALANCING, "t1 PARTITIONS_ASSIGNED [0_0]");
        watch(55);
        assertThat(stalls).as("the earlier 50 s do not count").isEmpty();
        watch(5);
        assertThat(stalls).hasSize(1);
    }

    @Test
    void shouldNotFireRightAfterThisProcessWasFrozen() {
        watch(30);
        now += Duration.ofSeconds(40).toNanos(); // SIGSTOP ... SIGCONT: no check ran for 40 s
        watch(55);
        assertThat(stalls).as("the clock started again after the gap").isEmpty();
        watch(5);
        assertThat(stalls).hasSize(1);
    }

    @Test
    void shouldNeverFireWithAZeroLimit() {
        StallWatchdog off = new StallWatchdog(Duration.ZERO, EVERY, () -> seen, () -> now, stalls::add);
        for (int i = 0; i < 1_000; i++) {
            off.check();
            now += EVERY.toNanos();
        }
        assertThat(stalls).isEmpty();
    }

    @Test
    void shouldCheckATenthOfTheLimitBetweenATenthOfASecondAndFiveSeconds() {
        assertThat(StallWatchdog.checkPeriod(Duration.ofMinutes(5))).isEqualTo(Duration.ofSeconds(5));
        assertThat(StallWatchdog.checkPeriod(Duration.ofSeconds(20))).isEqualTo(Duration.ofSeconds(2));
        assertThat(StallWatchdog.checkPeriod(Duration.ofMillis(500))).isEqualTo(Duration.ofMillis(100));
        assertThat(StallWatchdog.checkPeriod(Duration.ZERO)).isEqualTo(Duration.ofMillis(100));
        assertThatThrownBy(() -> new StallWatchdog(Duration.ofSeconds(-1), EVERY, () -> seen, () -> now,
                stalls::add)).isInstanceOf(IllegalArgumentException.class);
    }
}
