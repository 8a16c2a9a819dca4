package dev.tokenmin.benchmarks.load;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * The ceiling every other figure is a share of: raw Kafka producer throughput against the local broker (same
 * machine, same two cores) for records the size of an encoded usage event (key: a UUID; value: the Confluent wire
 * format of a realistic event). Pre-encoded values, so the figure is the broker's and the producer's, not Avro's;
 * idempotent, acks=all, as the agent produces. Prints records/s and MB/s for a few batch settings.
 */
@Command(name = "ceiling", mixinStandardHelpOptions = true,
        description = "Raw producer throughput for usage-event-sized records on the local broker.")
final class CeilingLoad implements Callable<Integer> {

    private static final int DISTINCT = 200_000;

    /** One producer setting measured. */
    private record Run(String compression, int lingerMs, int batchBytes) {
    }

    @Option(names = "--records", defaultValue = "1000000",
            description = "Records per setting (default: ${DEFAULT-VALUE}).")
    private int records;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions (default: ${DEFAULT-VALUE}).")
    private int partitions;

    @Override
    public Integer call() throws Exception {
        try (LocalStack stack = Harness.startStack();
             SchemaRegistryClient registry = new SchemaRegistryClient(
                     SchemaRegistryConfig.of(stack.schemaRegistryUrl()))) {
            Serializer<UsageEvent> avro = ConfluentAvroSerde.of(UsageEvent.class, registry, true).serializer();
            SplittableRandom random = new SplittableRandom(7);
            List<byte[]> values = new ArrayList<>();
            List<byte[]> keys = new ArrayList<>();
            long bytes = 0;
            // Distinct events, more than any batch holds, so compression sees what real traffic gives it.
            for (int i = 0; i < DISTINCT; i++) {
                UsageEvent e = Events.event(random);
                byte[] v = avro.serialize("tokenmin.usage.v1", e);
                values.add(v);
                keys.add(e.getEventId().toString().getBytes(StandardCharsets.UTF_8));
                bytes += v.length;
            }
            System.out.printf("usage event: %.0f bytes encoded on average (value), 36-byte key%n",
                    bytes / (double) values.size());
            List<Run> runs = new ArrayList<>();
            for (String compression : List.of("none", "lz4")) {
                runs.add(new Run(compression, 5, 64 * 1024));
                runs.add(new Run(compression, 10, 256 * 1024));
                runs.add(new Run(compression, 20, 1024 * 1024));
            }
            for (Run run : runs) {
                String compression = run.compression();
                int[] s = {run.lingerMs(), run.batchBytes()};
                String topic = "ceiling-" + compression + "-" + s[0] + "-" + s[1];
                Harness.createTopic(stack, topic, partitions);
                Map<String, Object> props = new HashMap<>();
                props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
                props.put(ProducerConfig.ACKS_CONFIG, "all");
                props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
                props.put(ProducerConfig.LINGER_MS_CONFIG, s[0]);
                props.put(ProducerConfig.BATCH_SIZE_CONFIG, s[1]);
                props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
                props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 256L * 1024 * 1024);
                try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                        new ByteArraySerializer())) {
                    long start = System.nanoTime();
                    for (int i = 0; i < records; i++) {
                        producer.send(new ProducerRecord<>(topic, keys.get(i % keys.size()),
                                values.get(i % values.size())));
                    }
                    producer.flush();
                    double seconds = (System.nanoTime() - start) / 1e9;
                    System.out.printf("linger %d ms, batch %d KiB, %s, acks=all: %,d records in %.1f s = %,.0f "
                                    + "records/s, %.1f MB/s of values%n", s[0], s[1] / 1024, compression, records,
                            seconds,
                            records / seconds, records * (bytes / (double) values.size()) / seconds / 1e6);
                    Results.ceiling(records / seconds);
                }
            }
        }
        Results.record("raw producer ceiling (usage-event-sized records, best setting)", "",
                String.format("%,.0f records/s", Results.bestCeiling()), null);
        return 0;
    }
}
