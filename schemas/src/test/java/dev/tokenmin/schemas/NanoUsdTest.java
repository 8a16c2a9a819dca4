package dev.tokenmin.schemas;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NanoUsdTest {

    @Test
    void shouldConvertUsdToWholeNanosExactly() {
        assertThat(NanoUsd.fromUsd("0.000003")).isEqualTo(3_000L);
        assertThat(NanoUsd.fromUsd("15")).isEqualTo(15_000_000_000L);
        assertThat(NanoUsd.fromUsd(" 0.000000001 ")).isEqualTo(1L);
        assertThat(NanoUsd.fromUsd("-2.5")).isEqualTo(-2_500_000_000L);
    }

    @Test
    void shouldNotLoseTheSumThatDoublesLose() {
        long sum = 0;
        for (int i = 0; i < 10; i++) {
            sum += NanoUsd.fromUsd("0.1");
        }
        assertThat(NanoUsd.toUsd(sum)).isEqualByComparingTo("1");
        double doubles = 0;
        for (int i = 0; i < 10; i++) {
            doubles += 0.1;
        }
        assertThat(doubles).as("why money is never a double").isNotEqualTo(1.0);
    }

    @Test
    void shouldRefuseAmountsFinerThanANanoOrTooLarge() {
        assertThatThrownBy(() -> NanoUsd.fromUsd("0.0000000001"))
                .isInstanceOf(ArithmeticException.class).hasMessageContaining("0.0000000001");
        assertThatThrownBy(() -> NanoUsd.fromUsd("10000000000"))
                .isInstanceOf(ArithmeticException.class).hasMessageContaining("10000000000");
        assertThatThrownBy(() -> NanoUsd.fromUsd("twelve"))
                .isInstanceOf(NumberFormatException.class).hasMessageContaining("twelve");
    }

    @Test
    void shouldRenderTheValueClickHouseDecimal18_9Holds() {
        assertThat(NanoUsd.toUsd(1_234_567_891L)).isEqualTo(new BigDecimal("1.234567891"));
        assertThat(NanoUsd.toUsd(1_234_567_891L).scale()).isEqualTo(9);
        assertThat(NanoUsd.format(1_500_000_000L)).isEqualTo("1.5");
        assertThat(NanoUsd.format(3_000_000_000L)).isEqualTo("3");
        assertThat(NanoUsd.format(7L)).isEqualTo("0.000000007");
    }
}
