package dev.tokenmin.stream.app;

import dev.tokenmin.schemas.config.Settings;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.kafka.TopicAdmin;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.pricing.PricePublisher;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code tokenmin stream}: runs the stream app until it is stopped (SIGTERM or Ctrl-C) or fails. Settings come from
 * a properties file, {@code TOKENMIN_*} environment variables and {@code --set}, each winning over the one before
 * (keys in the README). Exit codes: 0 stopped, 1 failed, 2 invalid settings.
 */
@Command(name = "stream", mixinStandardHelpOptions = true,
        description = "Prices, deduplicates and aggregates usage, enforces budgets, and serves queries.")
public final class StreamMain implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "A properties file.")
    private Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "One setting, e.g. --set http.port=8090.")
    private Map<String, String> overrides = new HashMap<>();

    @Option(names = "--create-topics", description = "Create tokenmin's topics that do not exist yet, with their "
            + "designed policies (for a local or test cluster; production clusters declare them).")
    private boolean createTopics;

    @Option(names = "--partitions", defaultValue = "6", description = "Partitions of topics it creates "
            + "(default: ${DEFAULT-VALUE}).")
    private int partitions;

    @Option(names = "--publish-prices", description = "Publish the bundled price catalog's new and changed entries "
            + "before starting (idempotent).")
    private boolean publishPrices;

    public static void main(String[] args) {
        System.exit(new CommandLine(new StreamMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        StreamAppConfig config;
        try {
            config = StreamAppConfig.fromProperties(Settings.layered(configFile, System.getenv(), overrides));
        } catch (IllegalArgumentException e) {
            System.err.println("tokenmin stream: " + e.getMessage());
            return 2;
        }
        Map<String, Object> kafka = new HashMap<>(config.kafka());
        kafka.put("bootstrap.servers", config.bootstrapServers());
        try {
            if (createTopics) {
                List<String> created = TopicAdmin.createMissing(kafka, config.topics(), partitions);
                System.err.println("tokenmin stream: topics created: " + (created.isEmpty() ? "none" : created));
            }
            if (publishPrices) {
                System.err.println("tokenmin stream: prices " + PricePublisher.publish(PriceCatalog.bundled(),
                        config.topics().prices(), kafka, config.schemaRegistryUrl()));
            }
        } catch (IllegalStateException | KafkaException e) {
            System.err.println("tokenmin stream: " + e.getMessage() + " (Kafka at " + config.bootstrapServers() + ")");
            return 1;
        }
        StreamApp app;
        try {
            app = StreamApp.start(config);
        } catch (IllegalStateException e) {
            System.err.println("tokenmin stream: " + e.getMessage());
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("stream-shutdown").unstarted(app::close));
        app.awaitStopped(Long.MAX_VALUE, TimeUnit.MILLISECONDS);
        return app.failed() ? 1 : 0;
    }
}
