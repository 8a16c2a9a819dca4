package dev.tokenmin.schemas.validation;

import dev.tokenmin.avro.UsageEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UsageEventValidatorTest {

    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    private static UsageEvent withLatency(Long latencyMs) {
        return UsageEvent.newBuilder().setEventId(UUID.randomUUID()).setOccurredAt(NOW).setSource("gw")
                .setCustomerId("acme").setProvider("openai").setModel("gpt-4.1").setInputTokens(10)
                .setCachedInputTokens(0).setCacheWriteTokens(0).setOutputTokens(5).setReasoningTokens(0)
                .setLatencyMs(latencyMs).build();
    }

    @Test
    void shouldAcceptLatenciesUpToTheLedgersUInt32() {
        assertThatCode(() -> UsageEventValidator.validate(withLatency(null), NOW)).doesNotThrowAnyException();
        assertThatCode(() -> UsageEventValidator.validate(withLatency(0L), NOW)).doesNotThrowAnyException();
        assertThatCode(() -> UsageEventValidator.validate(withLatency(UsageEventValidator.MAX_LATENCY_MS), NOW))
                .doesNotThrowAnyException();
    }

    @Test
    void shouldRejectALatencyTheLedgerCannotHoldNamingTheField() {
        assertThatThrownBy(() -> UsageEventValidator.validate(withLatency(UsageEventValidator.MAX_LATENCY_MS + 1), NOW))
                .isInstanceOf(InvalidUsageException.class)
                .hasMessageContaining("latency_ms: at most 4294967295 (ClickHouse's UInt32), was 4294967296");
        assertThatThrownBy(() -> UsageEventValidator.validate(withLatency(-1L), NOW))
                .isInstanceOf(InvalidUsageException.class).hasMessageContaining("latency_ms: must not be negative");
    }
}
