package dev.tokenmin.stream.notify;

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
 * {@code tokenmin notifier}: delivers alerts to webhooks until stopped (SIGTERM or Ctrl-C). Settings from a
 * properties file, {@code TOKENMIN_*} environment variables and {@code --set}, each winning over the one before;
 * keep secrets in the environment ({@code TOKENMIN_NOTIFY_ENDPOINT_OPS_SECRET}), not in files.
 */
@Command(name = "notifier", mixinStandardHelpOptions = true,
        description = "Delivers alerts to webhook endpoints, signed, retried, dead-lettered after the last try.")
public final class NotifierMain implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "A properties file.")
    private Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "One setting, e.g. --set notify.endpoint.ops.url=https://example.invalid/hook.")
    private Map<String, String> overrides = new HashMap<>();

    public static void main(String[] args) {
        System.exit(new CommandLine(new NotifierMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        NotifierConfig config;
        try {
            config = NotifierConfig.fromProperties(Settings.layered(configFile, System.getenv(), overrides));
        } catch (IllegalArgumentException e) {
            System.err.println("tokenmin notifier: " + e.getMessage());
            return 2;
        }
        WebhookNotifier notifier = WebhookNotifier.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("notifier-shutdown").unstarted(() -> {
            notifier.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }
}
