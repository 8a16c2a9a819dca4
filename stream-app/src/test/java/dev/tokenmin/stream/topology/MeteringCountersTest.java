package dev.tokenmin.stream.topology;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** One test, in order: the counters are process-wide, and once the cap is reached it stays reached. */
class MeteringCountersTest {

    @Test
    void spendIsCountedPerFeatureUpToTheCapThenAsOther() {
        Map<String, AtomicLong> seen = new HashMap<>();
        MeteringCounters.watchSpend((feature, nanos) -> assertThat(seen.put(feature, nanos)).isNull());
        MeteringCounters.addSpend("counters-test-a", 2_800_000);
        MeteringCounters.addSpend("counters-test-a", 200_000);
        MeteringCounters.addSpend(null, 5);
        assertThat(seen.get("counters-test-a")).hasValue(3_000_000);
        assertThat(seen).containsKey(MeteringCounters.NONE);

        for (int i = 0; i < MeteringCounters.MAX_FEATURES + 5; i++) {
            MeteringCounters.addSpend("counters-cap-" + i, 1);
        }
        assertThat(seen).hasSizeLessThanOrEqualTo(MeteringCounters.MAX_FEATURES + 1).containsKey(
                MeteringCounters.OTHER);
        assertThat(seen.get(MeteringCounters.OTHER).get()).isPositive();
        MeteringCounters.addSpend("counters-test-a", 1);
        assertThat(seen.get("counters-test-a")).as("a feature counted before the cap keeps its counter")
                .hasValue(3_000_001);
    }
}
