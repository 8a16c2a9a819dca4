package dev.tokenmin.localstack.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurationConverterTest {

    private final DurationConverter converter = new DurationConverter();

    @Test
    void readsAnAmountWithAUnitAndIso8601() {
        assertThat(converter.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(converter.convert("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(converter.convert("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(converter.convert("2H")).isEqualTo(Duration.ofHours(2));
        assertThat(converter.convert("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(converter.convert("PT2M")).isEqualTo(Duration.ofMinutes(2));
        assertThat(converter.convert("pt30s")).isEqualTo(Duration.ofSeconds(30));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "60", "5 minutes", "1w", "-5m", "99999999999999999999s", "P"})
    void refusesAnythingElseSayingWhatWorks(String value) {
        assertThatThrownBy(() -> converter.convert(value))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("'" + value + "' is not a duration: use for example 90s, 5m, 1h or PT5M");
    }

    @Test
    void refusesANegativeIsoDuration() {
        assertThatThrownBy(() -> converter.convert("PT-5M"))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessage("'PT-5M' is negative: use for example 90s, 5m, 1h or PT5M");
    }

    @Command
    static final class WithDuration {
        @Option(names = "--duration", converter = DurationConverter.class)
        Duration duration;
    }

    @Test
    void picocliNamesTheOptionAtFault() {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new WithDuration()).setErr(new PrintWriter(err));

        int exit = cli.execute("--duration", "soon");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("Invalid value for option '--duration': 'soon' is not a duration");
    }
}
