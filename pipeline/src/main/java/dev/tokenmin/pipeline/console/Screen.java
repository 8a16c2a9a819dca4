package dev.tokenmin.pipeline.console;

import dev.tokenmin.pipeline.console.Snapshot.AlertLine;
import dev.tokenmin.pipeline.console.Snapshot.Decision;
import dev.tokenmin.pipeline.console.Snapshot.Spend;
import dev.tokenmin.schemas.NanoUsd;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** Renders a {@link Snapshot} as the lines of the live view, at most {@value #WIDTH} characters wide. */
public final class Screen {

    static final int WIDTH = 120;
    private static final int TABLE_ROWS = 6;
    private static final int ALERT_ROWS = 4;
    private static final DateTimeFormatter SIM = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(
            ZoneOffset.UTC);
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    private Screen() {
    }

    /**
     * @param script the scenario, one line per incident
     * @param footer where the logs are, how to stop
     */
    public static List<String> render(Snapshot s, List<String> script, String footer) {
        List<String> out = new ArrayList<>();
        out.add(fit(String.format("tokenmin  simulated %s UTC (x%d)   real %s of %s", SIM.format(s.simNow()),
                s.speed(), mmss(s.elapsed()), mmss(s.total()))));
        out.add(fit(String.format("events/s  sidecar %,.0f, priced %,.0f, ClickHouse %,.0f   "
                        + "totals  %,d sent, %,d priced, %,d in ClickHouse", s.sentPerSecond(), s.pricedPerSecond(),
                s.storedPerSecond(), s.sent(), s.priced(), s.stored())));
        out.add(fit(String.format("routing   %,d tasks: %,d refused (budget exhausted), %,d downgraded, "
                + "%,d context trimmed; %d alerts", s.offered(), s.refused(), s.downgraded(), s.trimmed(),
                s.alertCount())));
        out.add("");
        List<String> left = table("spend by feature", s.features());
        List<String> right = table("spend by customer", s.customers());
        for (int i = 0; i < Math.max(left.size(), right.size()); i++) {
            String l = i < left.size() ? left.get(i) : "";
            String r = i < right.size() ? right.get(i) : "";
            out.add(fit(String.format("%-54s %s", l, r)));
        }
        out.add("");
        out.add("throttle decisions in force (" + s.decisions().size() + ")");
        if (s.decisions().isEmpty()) {
            out.add("  none");
        }
        for (Decision d : s.decisions().stream().limit(TABLE_ROWS).toList()) {
            out.add(fit(String.format("  %-13s %-32s %s", d.action(), d.scope(), d.reason())));
        }
        out.add("");
        out.add("recent alerts (" + s.alertCount() + ")");
        if (s.alerts().isEmpty()) {
            out.add("  none");
        }
        for (AlertLine a : s.alerts().stream().limit(ALERT_ROWS).toList()) {
            out.add(fit(String.format("  %s %-8s %-16s %s", CLOCK.format(a.raisedAt()), a.severity(), a.kind(),
                    a.scope())));
            String summary = a.summary().startsWith(a.scope() + ": ") ? a.summary().substring(a.scope().length() + 2)
                    : a.summary();
            out.add(fit("      " + summary));
        }
        out.add("");
        out.add("scenario (simulated time from the start)");
        script.forEach(line -> out.add(fit("  " + line)));
        out.add(fit(footer));
        return out;
    }

    private static List<String> table(String title, List<Spend> rows) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("%-22s %10s %16s", title, "requests", "USD"));
        for (Spend r : rows.stream().limit(TABLE_ROWS).toList()) {
            lines.add(String.format("  %-20s %,10d %16s", clip(r.name(), 20), r.requests(), usd(r.costNanos())));
        }
        if (rows.isEmpty()) {
            lines.add("  (nothing in ClickHouse yet)");
        }
        return lines;
    }

    /** USD with cents, rounded half-up, for display; the ledger keeps every nano. */
    static String usd(long nanos) {
        return String.format("%,.2f", new BigDecimal(NanoUsd.format(nanos)).setScale(2, RoundingMode.HALF_UP));
    }

    private static String mmss(Duration d) {
        return String.format("%d:%02d", d.toMinutes(), d.toSecondsPart());
    }

    private static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "~";
    }

    private static String fit(String line) {
        return line.length() <= WIDTH ? line : line.substring(0, WIDTH - 1) + "~";
    }
}
