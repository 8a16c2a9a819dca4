package dev.tokenmin.benchmarks.load;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * Every harness in one run, one after the other on the same machine (each starts and stops its own local stack),
 * then a side-by-side table of the headline figures against their targets. What each harness printed and the table
 * are written between two markers in {@code docs/benchmarks.md}, replacing the previous run's.
 */
@Command(name = "suite", mixinStandardHelpOptions = true,
        description = "Runs every harness and writes the figures to docs/benchmarks.md (about 26 minutes on 2 cores).")
final class SuiteLoad implements Callable<Integer> {

    static final String BEGIN = "<!-- suite: begin (written by ./tokenmin load suite; edits here are replaced) -->";
    static final String END = "<!-- suite: end -->";

    @Option(names = "--doc", defaultValue = "docs/benchmarks.md",
            description = "The file to write the results into (default: ${DEFAULT-VALUE}).")
    private Path doc;

    @Option(names = "--no-write", description = "Print only; leave the file alone.")
    private boolean noWrite;

    @Option(names = "--million-users", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Measure the stream app's state with 1,000,000 users too (1,000,000 events: 3-10 minutes "
                    + "on 2 cores); --no-million-users leaves it out.")
    private boolean millionUsers;

    private record Run(String args, Supplier<Object> harness) {
    }

    @Override
    public Integer call() throws IOException {
        List<Run> runs = new ArrayList<>(List.of(
                new Run("ceiling --records 1000000", CeilingLoad::new),
                // What these cores allow the design at all: the least topology it needs, then with a per-user
                // figure and the ClickHouse sink; an upper bound to read the app's own figures against.
                new Run("floor --events 300000", FloorLoad::new),
                new Run("floor --events 300000 --by-user --sink", FloorLoad::new),
                // The same for #10's decision latency: the least per-user budget topology, live at 5,000 events/s,
                // with two exactly-once hops as the design has them, then with one (usage partitioned by customer).
                new Run("decision-floor --rate 5000", DecisionFloorLoad::new),
                new Run("decision-floor --rate 5000 --partitioned-by-customer", DecisionFloorLoad::new),
                // Steps of 1,000 around where this machine's pipeline falls behind (2,000-4,000 events/s), so the
                // figure is not rounded down to the step before a long jump; the ladder stops at the first step
                // not sustained, so the higher ones cost nothing until they are reached.
                new Run("e2e --rates 500,1000,2000,3000,4000,5000,8000,16000,25000 --step-seconds 30 "
                        + "--latency-rates 0,5000", EndToEndLoad::new),
                new Run("stream --events 100000", StreamLoad::new),
                new Run("stream --events 100000 --users 1000 --sessions 1000", StreamLoad::new),
                new Run("stream --events 100000 --users 100000 --sessions 100000", StreamLoad::new),
                new Run("clickhouse", ClickHouseLoad::new),
                new Run("emit", EmitLoad::new),
                new Run("sidecar", SidecarLoad::new),
                new Run("postgres", PostgresLoad::new)));
        if (millionUsers) {
            int clickHouse = runs.stream().map(Run::args).toList().indexOf("clickhouse");
            runs.add(clickHouse, new Run("stream --events 1000000 --users 1000000 --sessions 1000000",
                    StreamLoad::new));
        }
        StringBuilder report = new StringBuilder();
        long start = System.nanoTime();
        PrintStream console = System.out;
        for (Run run : runs) {
            console.printf("%n==> ./tokenmin load %s%n", run.args());
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            System.setOut(new PrintStream(new Tee(console, captured), true, StandardCharsets.UTF_8));
            long t0 = System.nanoTime();
            int exit;
            try {
                String[] words = run.args().split(" +");
                exit = new CommandLine(run.harness().get()).execute(Arrays.copyOfRange(words, 1, words.length));
            } finally {
                System.setOut(console);
            }
            report.append("### `./tokenmin load ").append(run.args()).append("`\n\n```\n")
                    .append(captured.toString(StandardCharsets.UTF_8).strip()).append("\n```\n")
                    .append(String.format("(%.0f s%s)%n%n", (System.nanoTime() - t0) / 1e9,
                            exit == 0 ? "" : ", exit " + exit));
        }
        String table = table();
        console.printf("%n%s%n", table);
        String section = BEGIN + "\n\n" + String.format("Run of %s on %s; %.0f minutes.%n%n", LocalDate.now(
                ZoneOffset.UTC), machine(), (System.nanoTime() - start) / 60e9) + table + "\n" + report + END;
        if (!noWrite) {
            write(section);
            console.printf("written to %s%n", doc);
        }
        return 0;
    }

    private static String table() {
        StringBuilder t = new StringBuilder("| measured | target | figure | |\n|---|---|---|---|\n");
        for (Results.Figure f : Results.figures()) {
            t.append("| ").append(f.what()).append(" | ").append(f.target()).append(" | ").append(f.measured())
                    .append(" | ").append(f.met() == null ? "" : f.met() ? "met" : "**not met**").append(" |\n");
        }
        return t.toString();
    }

    private static String machine() {
        String memory = "";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    memory = ", " + Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024 / 1024 + " GiB";
                }
            }
        } catch (IOException | RuntimeException e) {
            memory = "";
        }
        return Runtime.getRuntime().availableProcessors() + " cores" + memory + ", JDK "
                + Runtime.version() + " (" + ManagementFactory.getRuntimeMXBean().getVmName() + ")";
    }

    /** Replaces the text between the markers (or appends the section when the file has none). */
    private void write(String section) throws IOException {
        String text = Files.exists(doc) ? Files.readString(doc) : "# Benchmarks\n";
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        String updated = begin >= 0 && end > begin ? text.substring(0, begin) + section
                + text.substring(end + END.length()) : text.stripTrailing() + "\n\n## Latest suite run\n\n" + section
                + "\n";
        Files.writeString(doc, updated);
    }

    /** Copies everything written to two streams: the console and the capture. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] bytes, int off, int len) throws IOException {
            a.write(bytes, off, len);
            b.write(bytes, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }
    }
}
