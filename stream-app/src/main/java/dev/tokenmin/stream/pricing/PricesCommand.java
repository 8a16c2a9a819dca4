package dev.tokenmin.stream.pricing;

import dev.tokenmin.schemas.Topics;
import dev.tokenmin.schemas.config.Settings;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code tokenmin prices publish}: checks a price catalog and publishes what changed to the prices topic. Kafka and
 * the registry come from {@code TOKENMIN_*} environment variables or {@code --set}: {@code bootstrap.servers},
 * {@code schema.registry.url}, optional {@code topic} and {@code kafka.*} client settings.
 */
@Command(name = "prices", mixinStandardHelpOptions = true, subcommands = PricesCommand.Publish.class,
        description = "The price catalog.")
public final class PricesCommand implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new PricesCommand()).execute(args));
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    @Command(name = "publish", mixinStandardHelpOptions = true,
            description = "Publish new and changed entries of a catalog (idempotent).")
    static final class Publish implements Callable<Integer> {

        @Option(names = "--catalog", paramLabel = "FILE", description = "A catalog file (default: the bundled one).")
        private Path catalog;

        @Option(names = "--create-topic", description = "Create the prices topic (compacted) if it does not exist.")
        private boolean createTopic;

        @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A setting, e.g. --set bootstrap.servers=host:9092.")
        private Map<String, String> overrides = new HashMap<>();

        @Override
        public Integer call() throws InterruptedException {
            Map<String, String> props = new HashMap<>(Settings.fromEnvironment(System.getenv()));
            props.putAll(overrides);
            Settings settings = new Settings(props);
            String bootstrap = settings.required("bootstrap.servers");
            String registry = settings.required("schema.registry.url");
            PriceCatalog prices;
            try {
                settings.throwIfAny("prices publish");
                prices = catalog == null ? PriceCatalog.bundled() : PriceCatalog.load(catalog);
            } catch (IllegalArgumentException e) {
                System.err.println("tokenmin prices: " + e.getMessage());
                return 2;
            }
            Map<String, Object> kafka = new HashMap<>(settings.prefixed("kafka."));
            kafka.put("bootstrap.servers", bootstrap);
            String topic = settings.string("topic", Topics.PRICES);
            PricePublisher.Summary summary;
            try {
                if (createTopic) {
                    PricePublisher.createTopicIfMissing(topic, kafka);
                }
                summary = PricePublisher.publish(prices, topic, kafka, registry);
            } catch (IllegalStateException | KafkaException e) {
                System.err.println("tokenmin prices: " + e.getMessage() + " (Kafka at " + bootstrap + ")");
                return 1;
            }
            System.out.printf("catalog %s (%d entries) on %s: %s%n", prices.version(), prices.entries().size(), topic,
                    summary);
            return 0;
        }
    }
}
