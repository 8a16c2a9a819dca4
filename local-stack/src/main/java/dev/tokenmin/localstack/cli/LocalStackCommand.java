package dev.tokenmin.localstack.cli;

import dev.tokenmin.localstack.Folders;
import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.localstack.LocalStackConfig;
import dev.tokenmin.localstack.ServiceStartException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code local-stack up}: starts the local stack, prints its endpoints and keeps it running until Ctrl-C (or for
 * {@code --duration}), then stops every process it started.
 */
@Command(name = "local-stack", mixinStandardHelpOptions = true, subcommands = LocalStackCommand.Up.class,
        description = "Runs tokenmin's services (Kafka, schema registry, ClickHouse) on this machine.")
public final class LocalStackCommand {

    public static void main(String[] args) {
        System.exit(new CommandLine(new LocalStackCommand()).execute(args));
    }

    /** The {@code up} subcommand. */
    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Start Kafka, the schema registry and ClickHouse on 127.0.0.1 and print their endpoints.")
    static final class Up implements Callable<Integer> {

        @Option(names = "--work-dir", description = "Data, configuration and logs of the services "
                + "(default: $XDG_DATA_HOME/tokenmin/local-stack or ~/.local/share/tokenmin/local-stack).")
        Path workDir;

        @Option(names = "--fresh", description = "Delete the work dir's data first.")
        boolean fresh;

        @Option(names = "--duration", converter = DurationConverter.class,
                description = "Stop after this long, e.g. 30s, 10m or PT30S (default: run until Ctrl-C).")
        Duration duration;

        @Option(names = "--start-timeout", defaultValue = "2m", converter = DurationConverter.class,
                description = "How long each service may take to start (default: ${DEFAULT-VALUE}).")
        Duration startTimeout;

        @Option(names = "--endpoints-file", description = "Also write the endpoints here as properties "
                + "(default: <work-dir>/endpoints.properties); tests attach with -Dtokenmin.stack.endpoints=FILE.")
        Path endpointsFile;

        @Override
        public Integer call() throws Exception {
            PrintStream out = System.out;
            Path dir = (workDir != null ? workDir : defaultWorkDir()).toAbsolutePath();
            Files.createDirectories(dir);
            try (FileChannel lockChannel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock lock = lockChannel.tryLock()) {
                if (lock == null) {
                    System.err.println("local-stack: another local stack is running in " + dir
                            + "; stop it or pass --work-dir");
                    return 2;
                }
                if (fresh) {
                    for (String service : new String[] {"kafka", "registry", "clickhouse"}) {
                        Folders.deleteRecursively(dir.resolve(service));
                    }
                }
                out.println("Starting Kafka, schema registry and ClickHouse in " + dir + " ...");
                long t0 = System.nanoTime();
                LocalStack stack;
                try {
                    stack = LocalStack.start(new LocalStackConfig(dir, startTimeout, false, true));
                } catch (ServiceStartException e) {
                    System.err.println("local-stack: " + e.getMessage());
                    return 1;
                }
                try (stack) {
                    Path endpoints = endpointsFile != null ? endpointsFile : dir.resolve("endpoints.properties");
                    stack.endpoints().write(endpoints);
                    out.printf("Ready in %.1f s.%n%n", (System.nanoTime() - t0) / 1e9);
                    out.printf("  %-16s %-48s %8s %8s %9s%n", "service", "endpoint", "pid", "start", "RSS");
                    for (LocalStack.Service s : stack.services()) {
                        out.printf("  %-16s %-48s %8d %6d ms %5d MiB%n", s.name(), s.endpoint(), s.pid(),
                                s.startup().toMillis(), s.residentMiB());
                    }
                    out.println();
                    out.println("  clickhouse-jdbc   " + stack.clickHouseJdbcUrl("default"));
                    out.println("  endpoints file    " + endpoints);
                    out.println("  logs              " + dir + "/{kafka/broker.log,registry/registry.log,"
                            + "clickhouse/clickhouse.log}");
                    out.println();
                    out.println(duration == null ? "Running; press Ctrl-C to stop." : "Running for " + duration + ".");
                    out.flush();
                    awaitStop();
                    out.println("Stopping ...");
                }
                out.println("Stopped.");
                return 0;
            }
        }

        /** Waits for Ctrl-C (the JVM's shutdown then stops the stack through its hook) or for the duration. */
        private void awaitStop() throws InterruptedException {
            CountDownLatch forever = new CountDownLatch(1);
            if (duration == null) {
                forever.await();
            } else {
                forever.await(duration.toMillis(), TimeUnit.MILLISECONDS);
            }
        }

        private static Path defaultWorkDir() {
            String xdg = System.getenv("XDG_DATA_HOME");
            Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                    : Path.of(System.getProperty("user.home"), ".local", "share");
            return base.resolve("tokenmin").resolve("local-stack");
        }

    }
}
