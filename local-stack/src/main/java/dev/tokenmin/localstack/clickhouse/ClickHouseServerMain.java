package dev.tokenmin.localstack.clickhouse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** Runs the local ClickHouse (libchdb behind ClickHouse's HTTP interface) as a process of its own. */
@Command(name = "local-clickhouse", mixinStandardHelpOptions = true,
        description = "Serves ClickHouse's HTTP interface on 127.0.0.1 over the embedded engine from libchdb.")
public final class ClickHouseServerMain implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseServerMain.class);

    @Option(names = "--lib", required = true, description = "Path of libchdb.so.")
    Path library;

    @Option(names = "--data", required = true, description = "Folder that holds the databases; kept across restarts.")
    Path data;

    @Option(names = "--port", defaultValue = "0", description = "TCP port on 127.0.0.1 (0: a free one).")
    int port;

    @Option(names = "--connections", defaultValue = "4",
            description = "Engine connections, i.e. queries that run at once (default: ${DEFAULT-VALUE}).")
    int connections;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ClickHouseServerMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        ClickHouseHttpServer server = new ClickHouseHttpServer(library, data, port, connections);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("clickhouse-shutdown").unstarted(() -> {
            server.close();
            LOG.info("stopped");
            stopped.countDown();
        }));
        LOG.info("ClickHouse {} (libchdb) listening on http://127.0.0.1:{} with {} connections, data in {}, ready in {} ms",
                server.version(), server.port(), connections, data.toAbsolutePath(),
                (System.nanoTime() - started) / 1_000_000);
        stopped.await();
        return 0;
    }
}
