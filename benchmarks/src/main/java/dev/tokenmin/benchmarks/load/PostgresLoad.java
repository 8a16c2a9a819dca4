package dev.tokenmin.benchmarks.load;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.localstack.Folders;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The familiar alternative: metering the way many gateways do it, one transaction per request that adds the call's
 * cost to the spend rows of its user, its team and its API key ({@code INSERT … ON CONFLICT DO UPDATE}), in
 * PostgreSQL from Debian's packages, which this harness starts itself on a free port (initdb in a temporary
 * folder; as root, through {@code runuser -u postgres}). Closed loop: each client sends its next request when the
 * last commits; prints requests/s and the per-request latency for a few client counts. Durability as shipped
 * (fsync on, synchronous commit), as a billing table would run.
 */
@Command(name = "postgres", mixinStandardHelpOptions = true,
        description = "Per-request UPDATE metering in PostgreSQL, for comparison.")
final class PostgresLoad implements Callable<Integer> {

    @Option(names = "--seconds", defaultValue = "20",
            description = "Seconds per client count (default: ${DEFAULT-VALUE}).")
    private int seconds;

    @Option(names = "--clients", split = ",", defaultValue = "4,16,64",
            description = "Client counts to run (default: ${DEFAULT-VALUE}).")
    private List<Integer> clients;

    private static final String UPSERT = "INSERT INTO %s (id, spent_nanos, requests) VALUES (?, ?, 1) "
            + "ON CONFLICT (id) DO UPDATE SET spent_nanos = %s.spent_nanos + EXCLUDED.spent_nanos, "
            + "requests = %s.requests + 1";

    @Override
    public Integer call() throws Exception {
        Path bin = binaries();
        Path data = Files.createTempDirectory("tokenmin-pg");
        Path logs = Files.createTempDirectory("tokenmin-pg-logs"); // initdb wants an empty data folder
        boolean root = System.getProperty("user.name").equals("root");
        if (root) {
            UserPrincipalLookupService users = data.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(data, users.lookupPrincipalByName("postgres"));
        }
        int port = Harness.closedPort();
        Process server = null;
        try {
            run(root, List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "tokenmin",
                    "--auth=trust", "-E", "UTF8"), logs.resolve("initdb.log"));
            List<String> postgres = new ArrayList<>(List.of(bin.resolve("postgres").toString(), "-D", data.toString(),
                    "-p", Integer.toString(port), "-k", data.toString(), "-c", "listen_addresses=127.0.0.1",
                    "-c", "max_connections=200", "-c", "shared_buffers=256MB"));
            server = start(root, postgres, logs.resolve("server.log"));
            String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=tokenmin";
            awaitUp(url);
            System.out.printf("PostgreSQL %s on 127.0.0.1:%d (fsync on, synchronous_commit on)%n",
                    bin.getParent().getFileName(), port);
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                for (String table : List.of("user_spend", "team_spend", "key_spend")) {
                    s.execute("CREATE TABLE " + table + " (id text PRIMARY KEY, spent_nanos bigint NOT NULL, "
                            + "requests bigint NOT NULL)");
                }
            }
            for (int n : clients) {
                measure(url, n);
            }
        } finally {
            if (server != null) {
                server.destroy();
                server.waitFor(30, TimeUnit.SECONDS);
            }
            Folders.deleteQuietly(data);
            Folders.deleteQuietly(logs);
        }
        return 0;
    }

    private void measure(String url, int n) throws Exception {
        Latencies all = new Latencies();
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            SplittableRandom random = new SplittableRandom(t);
            threads.add(Thread.ofPlatform().start(() -> {
                Latencies mine = new Latencies();
                try (Connection c = DriverManager.getConnection(url)) {
                    c.setAutoCommit(false);
                    PreparedStatement user = c.prepareStatement(UPSERT.formatted("user_spend", "user_spend",
                            "user_spend"));
                    PreparedStatement team = c.prepareStatement(UPSERT.formatted("team_spend", "team_spend",
                            "team_spend"));
                    PreparedStatement key = c.prepareStatement(UPSERT.formatted("key_spend", "key_spend",
                            "key_spend"));
                    while (System.nanoTime() < end) {
                        UsageEvent e = Events.event(random);
                        long cost = e.getInputTokens() * 2_000 + e.getOutputTokens() * 8_000;
                        long t0 = System.nanoTime();
                        upsert(user, e.getCustomerId() + "/" + e.getUserId(), cost);
                        upsert(team, e.getCustomerId() + "/" + e.getTeam(), cost);
                        upsert(key, e.getSource(), cost);
                        c.commit();
                        mine.record(System.nanoTime() - t0);
                        done.incrementAndGet();
                    }
                } catch (SQLException ex) {
                    System.err.println("client failed: " + ex.getMessage());
                }
                all.add(mine);
            }));
        }
        long start = System.nanoTime();
        for (Thread t : threads) {
            t.join();
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("%d clients: %,d requests in %.1f s = %,.0f requests/s; per request (3 upserts + commit) "
                + "%s%n", n, done.get(), secs, done.get() / secs, all.summary());
        Results.record(String.format("PostgreSQL per-request upserts, %d clients", n), "",
                String.format("%,.0f events/s, p99 %s", done.get() / secs, Latencies.format(all.percentile(99))), null);
    }

    private static void upsert(PreparedStatement s, String id, long cost) throws SQLException {
        s.setString(1, id);
        s.setLong(2, cost);
        s.executeUpdate();
    }

    private static Path binaries() throws IOException {
        Path base = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(base)) {
            try (Stream<Path> versions = Files.list(base)) {
                Path newest = versions.filter(p -> Files.isExecutable(p.resolve("bin/postgres")))
                        .max(Comparator.comparing(p -> Integer.parseInt(p.getFileName().toString().replaceAll(
                                "\\D", "0")))).orElse(null);
                if (newest != null) {
                    return newest.resolve("bin");
                }
            }
        }
        throw new IllegalStateException("no PostgreSQL server under /usr/lib/postgresql; install Debian's "
                + "postgresql package (apt-get install postgresql)");
    }

    private static List<String> asUser(boolean root, List<String> command) {
        if (!root) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    private static void run(boolean root, List<String> command, Path log) throws Exception {
        Process p = start(root, command, log);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(command.getFirst() + " failed; see " + log + ":\n"
                    + Files.readString(log));
        }
    }

    private static Process start(boolean root, List<String> command, Path log) throws IOException {
        return new ProcessBuilder(asUser(root, command)).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
    }

    private static void awaitUp(String url) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Connection c = DriverManager.getConnection(url)) {
                return;
            } catch (SQLException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("PostgreSQL did not accept connections within 60 s: "
                            + e.getMessage(), e);
                }
                Thread.sleep(200); // polling the server's start
            }
        }
    }
}
