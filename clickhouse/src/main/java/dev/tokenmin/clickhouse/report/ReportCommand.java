package dev.tokenmin.clickhouse.report;

import com.clickhouse.client.api.Client;
import dev.tokenmin.schemas.config.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code tokenmin report --by feature --since 30d [--customer acme] [--format table|csv|json] [--show-sql]}: an
 * attribution report from ClickHouse. ClickHouse settings as for the sink ({@code clickhouse.url},
 * {@code .user}, {@code .password}, {@code .database}) from {@code TOKENMIN_*} or {@code --set}.
 */
@Command(name = "report", mixinStandardHelpOptions = true, description = "Attribution reports from ClickHouse.")
public final class ReportCommand implements Callable<Integer> {

    private static final Pattern RELATIVE = Pattern.compile("(\\d+)([hd])");

    @Option(names = "--by", required = true, paramLabel = "REPORT", description = "feature, customer, users, "
            + "model-mix, success, context or savings.")
    private String by;

    @Option(names = "--since", defaultValue = "30d", description = "30d, 24h or a date such as 2026-11-01 "
            + "(default: ${DEFAULT-VALUE}).")
    private String since;

    @Option(names = "--customer", description = "One customer only.")
    private String customer;

    @Option(names = "--limit", defaultValue = "10", description = "Rows per group where ranked (default: ${DEFAULT-VALUE}).")
    private int limit;

    @Option(names = "--format", defaultValue = "table", description = "table, csv or json (default: ${DEFAULT-VALUE}).")
    private String format;

    @Option(names = "--show-sql", description = "Print the SQL it runs first.")
    private boolean showSql;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "One setting.")
    private Map<String, String> overrides = new HashMap<>();

    private final PrintStream out;
    private final Map<String, String> env;
    private final Instant now;

    public ReportCommand() {
        this(System.out, System.getenv(), Instant.now());
    }

    ReportCommand(PrintStream out, Map<String, String> env, Instant now) {
        this.out = out;
        this.env = env;
        this.now = now;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ReportCommand()).execute(args));
    }

    @Override
    public Integer call() {
        Report report;
        try {
            report = Report.valueOf(by.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            System.err.println("tokenmin report: --by: one of " + Arrays.stream(Report.values())
                    .map(Report::cliName).collect(Collectors.joining(", ")) + ", was " + by);
            return 2;
        }
        if (!List.of("table", "csv", "json").contains(format)) {
            System.err.println("tokenmin report: --format: table, csv or json, was " + format);
            return 2;
        }
        Instant from;
        try {
            from = since(since, now);
        } catch (IllegalArgumentException e) {
            System.err.println("tokenmin report: --since: " + e.getMessage());
            return 2;
        }
        Settings s = new Settings(Settings.layered(null, env, overrides));
        String url = s.required("clickhouse.url");
        try {
            s.throwIfAny("report");
        } catch (IllegalArgumentException e) {
            System.err.println("tokenmin report: " + e.getMessage());
            return 2;
        }
        if (showSql) {
            out.println("-- " + report.title() + "; since = " + from + ", customer = "
                    + (customer == null ? "(all)" : customer) + ", limit = " + limit);
            out.println(report.sql() + ";");
            out.println();
        }
        try (Client client = new Client.Builder().addEndpoint(url).setUsername(s.string("clickhouse.user", "default"))
                .setPassword(s.string("clickhouse.password", "")).build()) {
            List<List<String>> rows = new Reports(client, s.string("clickhouse.database", "tokenmin"))
                    .run(report, from, customer, limit);
            List<String> header = report.columns().stream().map(Report.Column::name).toList();
            out.print(switch (format) {
                case "csv" -> TextTables.csv(header, rows);
                case "json" -> TextTables.json(header, report.columns(), rows);
                default -> report.title() + " since " + from + "\n" + TextTables.aligned(header, report.columns(),
                        rows);
            });
            return 0;
        } catch (RuntimeException e) {
            System.err.println("tokenmin report: ClickHouse at " + url + ": " + e.getMessage());
            return 1;
        }
    }

    static Instant since(String text, Instant now) {
        Matcher m = RELATIVE.matcher(text);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return now.minus(m.group(2).equals("h") ? Duration.ofHours(n) : Duration.ofDays(n));
        }
        try {
            return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("30d, 24h or a date such as 2026-11-01, was " + text);
        }
    }
}
