package dev.tokenmin.localstack.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A duration option as people type it: {@code 500ms}, {@code 90s}, {@code 5m}, {@code 2h}, {@code 1d}, or ISO-8601
 * ({@code PT5M}) as {@link Duration#parse} reads it. Negative durations are refused. Picocli's own conversion reads
 * ISO-8601 only, so {@code --duration 60s} failed with a parser's message.
 */
public final class DurationConverter implements ITypeConverter<Duration> {

    private static final Pattern AMOUNT_AND_UNIT = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final String EXAMPLES = "use for example 90s, 5m, 1h or PT5M";

    @Override
    public Duration convert(String value) {
        String text = value.trim().toLowerCase(Locale.ROOT);
        Duration duration;
        try {
            Matcher m = AMOUNT_AND_UNIT.matcher(text);
            if (m.matches()) {
                long amount = Long.parseLong(m.group(1));
                duration = switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    default -> Duration.ofDays(amount);
                };
            } else {
                duration = Duration.parse(text.toUpperCase(Locale.ROOT));
            }
        } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a duration: " + EXAMPLES);
        }
        if (duration.isNegative()) {
            throw new TypeConversionException("'" + value + "' is negative: " + EXAMPLES);
        }
        return duration;
    }
}
