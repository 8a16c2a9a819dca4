package dev.tokenmin.pipeline.console;

import dev.tokenmin.pipeline.console.Snapshot.AlertLine;
import dev.tokenmin.pipeline.console.Snapshot.Decision;
import dev.tokenmin.pipeline.console.Snapshot.Spend;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ScreenTest {

    private static Snapshot snapshot() {
        return new Snapshot(Instant.parse("2026-11-22T17:42:10Z"), 240, Duration.ofSeconds(72),
                Duration.ofMinutes(2), 9_812, 9_640, 37, 212, 88, 9_600, 9_500, 141.6, 139.2, 140.0,
                List.of(new Spend("summarize", 1_903, 12_345_678_901L),
                        new Spend("ticket-triage", 2_000, 605_000_000L)),
                List.of(new Spend("acme", 4_000, 20_125_000_000L)),
                List.of(new Decision("BLOCK", "customer:acme/user:u-0042", "budget acme-u-0042-monthly: 100% of 15 USD"
                        + " per month, and a reason long enough to run past the edge of the screen for sure")),
                List.of(new AlertLine(Instant.parse("2026-11-22T21:36:34Z"), "WARNING", "ANOMALY", "feature:summarize",
                        "feature:summarize: hour spend x2.5 its baseline: input tokens per request"
                                + " (context inflation) x4.0")), 6);
    }

    @Test
    void showsRatesTotalsSpendDecisionsAndAlertsWithinTheWidth() {
        List<String> lines = Screen.render(snapshot(), List.of("+4:00 summarize prompts grow 4x"), "log: x");
        String screen = String.join("\n", lines);
        assertThat(lines).allMatch(l -> l.length() <= Screen.WIDTH);
        assertThat(lines.getFirst()).contains("simulated 2026-11-22 17:42 UTC (x240)", "real 1:12 of 2:00");
        assertThat(lines.get(1)).isEqualTo("events/s  sidecar 142, priced 139, ClickHouse 140   totals  9,640 sent, "
                + "9,600 priced, 9,500 in ClickHouse");
        assertThat(lines.get(2)).isEqualTo("routing   9,812 tasks: 37 refused (budget exhausted), 212 downgraded, "
                + "88 context trimmed; 6 alerts");
        assertThat(screen).contains("summarize", "12.35", "0.61", "20.13");
        assertThat(screen).contains("throttle decisions in force (1)", "BLOCK", "customer:acme/user:u-0042",
                "recent alerts (6)",
                "21:36:34 WARNING  ANOMALY          feature:summarize",
                "\n      hour spend x2.5 its baseline: input tokens per request (context inflation) x4.0\n",
                "+4:00 summarize prompts grow 4x", "log: x");
    }

    @Test
    void dollarsAreRoundedHalfUpToCents() {
        assertThat(Screen.usd(12_345_000_000L)).isEqualTo("12.35");
        assertThat(Screen.usd(12_344_999_999L)).isEqualTo("12.34");
        assertThat(Screen.usd(1_234_567_890_000_000L)).isEqualTo("1,234,567.89");
    }

    @Test
    void withoutATerminalItPrintsAShortStatusNotEveryFrame() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Terminal plain = new Terminal(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        List<String> frame = Screen.render(snapshot(), List.of(), "log: x");
        plain.frame(frame);
        plain.frame(frame);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out.lines()).hasSize(3);
        assertThat(out).doesNotContain("\u001b[");
        Terminal tty = new Terminal(new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
        tty.frame(frame);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("\u001b[H\u001b[2J");
    }
}
