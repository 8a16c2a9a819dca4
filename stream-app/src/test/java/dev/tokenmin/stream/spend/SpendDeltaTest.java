package dev.tokenmin.stream.spend;

import dev.tokenmin.stream.serde.InternalSerdes;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpendDeltaTest {

    private static final Serde<SpendDelta> SERDE = InternalSerdes.spendDelta();

    private static long at(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    private static SpendDelta one(String when, String model, long cost, String user) {
        long t = at(when);
        return new SpendDelta(t, t, 1, cost == 0 ? 1 : 0, cost, 100, 20, 3, 40, 5,
                List.of(new SpendDelta.ModelDelta("openai", model, 1, cost, 100, 40)),
                user == null ? Map.of() : Map.of(user, cost));
    }

    @Test
    void shouldSumEventsOfOneMinuteExactlyPerModelAndUser() {
        SpendDelta sum = one("2026-11-22T10:15:30Z", "gpt-4.1", 1_000_000_001L, "u1")
                .plus(one("2026-11-22T10:15:02Z", "o3", 7, "u2"))
                .plus(one("2026-11-22T10:15:59.999Z", "gpt-4.1", 0, "u1"));

        assertThat(sum.firstAt()).isEqualTo(at("2026-11-22T10:15:02Z"));
        assertThat(sum.lastAt()).isEqualTo(at("2026-11-22T10:15:59.999Z"));
        assertThat(sum.minute()).isEqualTo(at("2026-11-22T10:15:00Z"));
        assertThat(sum.requests()).isEqualTo(3);
        assertThat(sum.unpricedRequests()).isEqualTo(1);
        assertThat(sum.costNanos()).isEqualTo(1_000_000_008L);
        assertThat(sum.billedTokens()).isEqualTo(3 * (100 + 20 + 3 + 40));
        assertThat(sum.byModel()).extracting(m -> m.model() + "=" + m.requests() + "/" + m.costNanos())
                .containsExactly("gpt-4.1=2/1000000001", "o3=1/7");
        assertThat(sum.userCosts()).containsExactlyInAnyOrderEntriesOf(Map.of("u1", 1_000_000_001L, "u2", 7L));
    }

    @Test
    void shouldKeepTheCostliestUsersOfASumWithNeverMoreThanTheySpent() {
        SpendDelta sum = one("2026-11-22T10:15:00Z", "o3", 100, "big");
        for (int i = 0; i < 20; i++) {
            sum = sum.plus(one("2026-11-22T10:15:01Z", "o3", 1 + i, "u" + i));
        }
        sum = sum.plus(one("2026-11-22T10:15:02Z", "o3", 50, "big"));

        assertThat(sum.userCosts()).hasSize(SpendDelta.MAX_USERS).containsEntry("big", 150L)
                .containsEntry("u19", 20L).doesNotContainKey("u0");
        assertThat(sum.costNanos()).as("the totals keep every user").isEqualTo(150 + 210);
    }

    @Test
    void shouldRefuseToMixMinutesAndToOverflowTheCost() {
        assertThatThrownBy(() -> one("2026-11-22T10:15:59Z", "o3", 1, null)
                .plus(one("2026-11-22T10:16:00Z", "o3", 1, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("different minutes");
        assertThatThrownBy(() -> one("2026-11-22T10:15:00Z", "o3", Long.MAX_VALUE, null)
                .plus(one("2026-11-22T10:15:01Z", "o3", 1, null)))
                .isInstanceOf(ArithmeticException.class);
    }

    @Test
    void shouldRoundTripAndEncodeTheSameSumToTheSameBytes() {
        SpendDelta sum = one("2026-11-22T10:15:30Z", "gpt-4.1", 5, "u1").plus(one("2026-11-22T10:15:31Z", "o3", 6,
                "u2"));
        Map<String, Long> reversed = new LinkedHashMap<>();
        reversed.put("u2", 6L);
        reversed.put("u1", 5L);

        byte[] bytes = SERDE.serializer().serialize("t", sum);

        assertThat(SERDE.deserializer().deserialize("t", bytes)).isEqualTo(sum);
        SpendDelta same = new SpendDelta(sum.firstAt(), sum.lastAt(), sum.requests(), sum.unpricedRequests(),
                sum.costNanos(), sum.inputTokens(), sum.cachedInputTokens(), sum.cacheWriteTokens(), sum.outputTokens(),
                sum.reasoningTokens(), sum.byModel(), reversed);
        assertThat(SERDE.serializer().serialize("t", same))
                .as("users in any order: one encoding, as changelog compaction and tests expect").isEqualTo(bytes);
    }

    @Test
    void shouldReadACountedEventOfTheFormatBeforeDeltasAsADeltaOfOneEvent() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(1);
            UUID id = UUID.randomUUID();
            out.writeLong(id.getMostSignificantBits());
            out.writeLong(id.getLeastSignificantBits());
            out.writeLong(at("2026-11-22T10:15:30Z"));
            out.writeUTF("anthropic");
            out.writeUTF("claude-haiku-4-5");
            out.writeLong(3_000_000);
            out.writeBoolean(false);
            for (long tokens : new long[] {2_000, 10, 5, 200, 0}) {
                out.writeLong(tokens);
            }
            out.writeBoolean(true);
            out.writeUTF("u7");
        }

        SpendDelta d = SERDE.deserializer().deserialize("t", bytes.toByteArray());

        assertThat(d.requests()).isEqualTo(1);
        assertThat(d.costNanos()).isEqualTo(3_000_000);
        assertThat(d.firstAt()).isEqualTo(d.lastAt()).isEqualTo(at("2026-11-22T10:15:30Z"));
        assertThat(d.promptTokens()).isEqualTo(2_015);
        assertThat(d.byModel()).singleElement().satisfies(m -> assertThat(m.model()).isEqualTo("claude-haiku-4-5"));
        assertThat(d.userCosts()).containsExactlyEntriesOf(Map.of("u7", 3_000_000L));
        assertThatThrownBy(() -> SERDE.deserializer().deserialize("t", new byte[] {9}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("format 9");
    }
}
