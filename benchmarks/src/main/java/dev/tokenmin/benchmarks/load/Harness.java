package dev.tokenmin.benchmarks.load;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.localstack.LocalStackConfig;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

/** What every harness shares: a local stack in a temporary folder, deleted afterwards, and topics on it. */
final class Harness {

    private Harness() {
    }

    static LocalStack startStack() throws IOException {
        Path work = Files.createTempDirectory("tokenmin-load");
        long start = System.nanoTime();
        LocalStack stack = LocalStack.start(LocalStackConfig.in(work).deletingOnClose());
        System.out.printf("local stack up in %.1f s (Kafka %s, registry %s)%n", (System.nanoTime() - start) / 1e9,
                stack.kafkaBootstrapServers(), stack.schemaRegistryUrl());
        return stack;
    }

    static void createTopic(LocalStack stack, String topic, int partitions) throws ExecutionException,
            InterruptedException {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        }
    }

    /**
     * Produces a backlog of {@code events} usage events (the same seed every time) to {@code topic}, keyed by event
     * id as the agent keys them, and prints how long it took.
     */
    static void produceUsageBacklog(LocalStack stack, SchemaRegistryClient registry, String topic, int events,
                                    int users, int sessions) {
        long start = System.nanoTime();
        Map<String, Object> props = new HashMap<>(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()));
        props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        SplittableRandom random = new SplittableRandom(1);
        try (KafkaProducer<String, UsageEvent> producer = new KafkaProducer<>(props, new StringSerializer(),
                ConfluentAvroSerde.of(UsageEvent.class, registry, true).serializer())) {
            for (int i = 0; i < events; i++) {
                UsageEvent e = Events.event(random, users, sessions);
                producer.send(new ProducerRecord<>(topic, e.getEventId().toString(), e));
            }
            producer.flush();
        }
        System.out.printf("backlog: %,d events produced in %.1f s%n", events, (System.nanoTime() - start) / 1e9);
    }

    /** A port nothing listens on (bound, then released). */
    static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** This process's resident memory in MiB, or -1 where /proc cannot tell. */
    static long residentMiB() {
        return LocalStack.Service.residentMiB(ProcessHandle.current().pid());
    }

    /**
     * This JVM's resident memory once it stops falling, for a figure taken right after {@code System.gc()}: G1 gives
     * the heap a full collection freed back to the operating system in the background, after the collection (the
     * committed heap drops at once, the resident figure over the next moments), so a figure taken at once counted
     * freed heap as resident and, set against the committed heap, as memory outside it.
     */
    static long settledResidentMiB() throws InterruptedException {
        long last = residentMiB();
        for (int i = 0; i < 50; i++) {
            Thread.sleep(200);
            long now = residentMiB();
            if (now >= last) {
                return now;
            }
            last = now;
        }
        return last;
    }

    /** Bytes of the regular files under {@code dir}. */
    static long sizeOnDisk(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
