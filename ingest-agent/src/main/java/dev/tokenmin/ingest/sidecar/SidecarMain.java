package dev.tokenmin.ingest.sidecar;

import dev.tokenmin.schemas.config.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code tokenmin sidecar}: runs the sidecar until it is stopped (SIGTERM or Ctrl-C), then drains what it can in
 * {@code shutdown.drain.ms} and keeps the rest in the spool. Settings come from a properties file, then from
 * {@code TOKENMIN_*} environment variables, which win; {@code --set key=value} wins over both.
 */
@Command(name = "sidecar", mixinStandardHelpOptions = true,
        description = "Accepts usage events over HTTP, spools them durably, sends them to Kafka, and answers "
                + "throttle decisions.")
public final class SidecarMain implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "A properties file (see the README for keys).")
    private Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "One setting, e.g. --set sidecar.port=8787.")
    private Map<String, String> overrides = new HashMap<>();

    public static void main(String[] args) {
        System.exit(new CommandLine(new SidecarMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        SidecarConfig config;
        try {
            config = SidecarConfig.fromProperties(Settings.layered(configFile, System.getenv(), overrides));
        } catch (IllegalArgumentException e) {
            System.err.println("tokenmin sidecar: " + e.getMessage());
            return 2;
        }
        SidecarServer sidecar;
        try {
            sidecar = SidecarServer.start(config);
        } catch (IllegalStateException e) {
            System.err.println("tokenmin sidecar: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("sidecar-shutdown").unstarted(() -> {
            sidecar.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }
}
