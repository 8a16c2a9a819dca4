package dev.tokenmin.stream.spend;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

class DeltaSumTest {

    private static SpendDelta one(String when, String model, long cost, String user) {
        long t = Instant.parse(when).toEpochMilli();
        return new SpendDelta(t, t, 1, cost == 0 ? 1 : 0, cost, 100, 20, 3, 40, 5,
                List.of(new SpendDelta.ModelDelta(model.startsWith("claude") ? "anthropic" : "openai", model, 1, cost,
                        100, 40)), user == null ? Map.of() : Map.of(user, cost));
    }

    @Test
    void shouldSumAsDeltasDoAndNameTheExactlyCostliestUsers() {
        DeltaSum sum = new DeltaSum();
        SpendDelta folded = null;
        for (int i = 0; i < 30; i++) {
            SpendDelta d = one("2026-11-22T10:15:" + String.format("%02d", 59 - i) + "Z",
                    i % 3 == 0 ? "claude-haiku-4-5" : "gpt-4.1", i % 7 == 0 ? 0 : 1_000_000_000L + i, "u" + (i % 12));
            sum.add(d);
            folded = folded == null ? d : folded.plus(d);
        }
        SpendDelta taken = sum.toDelta();
        assertThat(taken).usingRecursiveComparison().ignoringFields("userCosts").isEqualTo(folded);
        assertThat(taken.requests()).isEqualTo(30);
        assertThat(taken.unpricedRequests()).isEqualTo(5); // i = 0, 7, 14, 21, 28
        assertThat(taken.costNanos()).isEqualTo(25 * 1_000_000_000L + (435 - 70));
        assertThat(taken.firstAt()).isEqualTo(Instant.parse("2026-11-22T10:15:30Z").toEpochMilli());
        assertThat(taken.lastAt()).isEqualTo(Instant.parse("2026-11-22T10:15:59Z").toEpochMilli());
        assertThat(taken.byModel()).extracting(SpendDelta.ModelDelta::model, SpendDelta.ModelDelta::requests)
                .containsExactly(tuple("claude-haiku-4-5", 10L),
                        tuple("gpt-4.1", 20L));
        assertThat(taken.userCosts()).hasSize(SpendDelta.MAX_USERS);
        // u1..u11 each spent in 2 or 3 events; the 8 named are the 8 costliest, each with its whole cost
        Map<String, Long> exact = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            exact.merge("u" + (i % 12), i % 7 == 0 ? 0 : 1_000_000_000L + i, Long::sum);
        }
        List<Long> top = exact.values().stream().sorted((a, b) -> Long.compare(b, a)).limit(SpendDelta.MAX_USERS)
                .toList();
        assertThat(taken.userCosts().values()).containsExactlyInAnyOrderElementsOf(top);
        taken.userCosts().forEach((user, cost) -> assertThat(cost).isEqualTo(exact.get(user)));
    }

    @Test
    void shouldRefuseToMixMinutesAndToOverflowTheCost() {
        DeltaSum sum = new DeltaSum().add(one("2026-11-22T10:15:59Z", "o3", 1, null));
        assertThatThrownBy(() -> sum.add(one("2026-11-22T10:16:00Z", "o3", 1, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("different minutes");
        DeltaSum big = new DeltaSum().add(one("2026-11-22T10:15:00Z", "o3", Long.MAX_VALUE, null));
        assertThatThrownBy(() -> big.add(one("2026-11-22T10:15:01Z", "o3", 1, null)))
                .isInstanceOf(ArithmeticException.class);
    }
}
