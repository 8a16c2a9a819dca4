package dev.tokenmin.stream.pricing;

import dev.tokenmin.schemas.Topics;
import dev.tokenmin.stream.kafka.ClientSettings;
import dev.tokenmin.stream.kafka.TopicAdmin;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

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
            ClientSettings settings;
            PriceCatalog prices;
            try {
                settings = ClientSettings.of(System.getenv(), overrides, Topics.PRICES, "prices publish");
                prices = catalog == null ? PriceCatalog.bundled() : PriceCatalog.load(catalog);
            } catch (IllegalArgumentException e) {
                System.err.println("tokenmin prices: " + e.getMessage());
                return 2;
            }
            String topic = settings.topic();
            Map<String, Object> kafka = settings.kafka();
            PricePublisher.Summary summary;
            try {
                if (createTopic) {
                    TopicAdmin.createIfMissing(kafka, topic, Topics.PRICES, 1);
                }
                summary = PricePublisher.publish(prices, topic, kafka, settings.schemaRegistryUrl());
            } catch (IllegalStateException | KafkaException e) {
                System.err.println("tokenmin prices: " + e.getMessage() + " (Kafka at " + settings.bootstrapServers() + ")");
                return 1;
            }
            System.out.printf("catalog %s (%d entries) on %s: %s%n", prices.version(), prices.entries().size(), topic,
                    summary);
            return 0;
        }
    }
}
