package dev.tokenmin.stream.budget;

import dev.tokenmin.avro.Budget;
import dev.tokenmin.schemas.Topics;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import dev.tokenmin.schemas.validation.InvalidUsageException;
import dev.tokenmin.stream.kafka.ClientSettings;
import dev.tokenmin.stream.kafka.TopicAdmin;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code tokenmin budgets put|delete|list}: budgets on the budgets topic, which the stream app enforces. Kafka and
 * the registry come from {@code TOKENMIN_*} environment variables or {@code --set} ({@link ClientSettings}).
 * Exit codes: 0 done, 1 Kafka or the registry failed, 2 invalid input (every field at fault is listed).
 */
@Command(name = "budgets", mixinStandardHelpOptions = true,
        subcommands = {BudgetsCommand.Put.class, BudgetsCommand.Delete.class, BudgetsCommand.ListBudgets.class},
        description = "Create, change, delete and list budgets.")
public final class BudgetsCommand implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new BudgetsCommand()).execute(args));
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    /** What every subcommand takes. */
    abstract static class Base implements Callable<Integer> {

        @Option(names = "--set", paramLabel = "KEY=VALUE",
                description = "A setting, e.g. --set bootstrap.servers=host:9092.")
        Map<String, String> overrides = new HashMap<>();

        @Option(names = "--create-topic", description = "Create the budgets topic (compacted) if it does not exist.")
        boolean createTopic;

        @Override
        public Integer call() throws InterruptedException {
            ClientSettings settings;
            try {
                settings = ClientSettings.of(System.getenv(), overrides, Topics.BUDGETS, "budgets");
            } catch (IllegalArgumentException e) {
                System.err.println("tokenmin budgets: " + e.getMessage());
                return 2;
            }
            try (SchemaRegistryClient registry = new SchemaRegistryClient(
                    SchemaRegistryConfig.of(settings.schemaRegistryUrl()));
                 ConfluentAvroSerde<Budget> serde = ConfluentAvroSerde.of(Budget.class, registry, false)) {
                if (createTopic) {
                    TopicAdmin.createIfMissing(settings.kafka(), settings.topic(), Topics.BUDGETS, 1);
                }
                try (BudgetPublisher publisher = new BudgetPublisher(settings.topic(), settings.kafka(), serde)) {
                    return run(publisher);
                }
            } catch (InvalidUsageException e) {
                System.err.println("tokenmin budgets: invalid, nothing was written:");
                e.errors().forEach(err -> System.err.println("  " + err.field() + ": " + err.reason()));
                return 2;
            } catch (IllegalStateException | KafkaException e) {
                System.err.println("tokenmin budgets: " + e.getMessage() + " (Kafka at " + settings.bootstrapServers()
                        + ")");
                return 1;
            }
        }

        abstract int run(BudgetPublisher publisher) throws InterruptedException;
    }

    @Command(name = "put", mixinStandardHelpOptions = true,
            description = "Create or change the budgets in a YAML or JSON file; all are checked before any is written.")
    static final class Put extends Base {

        @Option(names = "--file", required = true, paramLabel = "FILE", description = "The budgets file.")
        private Path file;

        @Override
        int run(BudgetPublisher publisher) throws InterruptedException {
            String text;
            try {
                text = Files.readString(file);
            } catch (IOException e) {
                throw new InvalidUsageException("--file", "cannot read " + file + ": " + e.getMessage());
            }
            List<Budget> budgets = BudgetDocuments.parseFile(text, Instant.now());
            publisher.put(budgets);
            budgets.forEach(b -> System.out.printf("put %s on %s%n", b.getBudgetId(), b.getScope()));
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete budgets by id.")
    static final class Delete extends Base {

        @Parameters(arity = "1..*", paramLabel = "BUDGET_ID", description = "The budgets to delete.")
        private List<String> ids;

        @Override
        int run(BudgetPublisher publisher) throws InterruptedException {
            Map<String, Budget> existing = publisher.list();
            List<String> unknown = ids.stream().filter(id -> !existing.containsKey(id)).toList();
            if (!unknown.isEmpty()) {
                throw new InvalidUsageException("BUDGET_ID", "no such budget: " + String.join(", ", unknown));
            }
            publisher.delete(ids);
            ids.forEach(id -> System.out.println("deleted " + id));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Print every budget as YAML.")
    static final class ListBudgets extends Base {

        @Override
        int run(BudgetPublisher publisher) {
            List<Budget> all = publisher.list().values().stream()
                    .sorted(Comparator.comparing(Budget::getBudgetId)).toList();
            var root = BudgetDocuments.YAML.createObjectNode();
            var list = root.putArray("budgets");
            all.forEach(b -> list.add(BudgetDocuments.toJson(b)));
            try {
                System.out.print(BudgetDocuments.YAML.writeValueAsString(root));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return 0;
        }
    }
}
