package dev.tokenmin.localstack.kafka;

import dev.tokenmin.localstack.BuildInfo;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(LocalStackExtension.class)
class KafkaBrokerIT {

    @Test
    void shouldShowReadCommittedConsumersOnlyCommittedTransactions(Stack stack, TestNames names) throws Exception {
        // given
        String topic = names.topic("tx");
        createTopic(stack.kafkaBootstrapServers(), topic);

        // when: one transaction commits, another aborts
        try (KafkaProducer<String, String> producer = transactionalProducer(stack.kafkaBootstrapServers(),
                names.applicationId("tx"))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k1", "committed-1"));
            producer.send(new ProducerRecord<>(topic, "k2", "committed-2"));
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k3", "aborted"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k4", "committed-3"));
            producer.commitTransaction();
        }

        // then
        assertThat(readAll(stack.kafkaBootstrapServers(), topic, "read_committed", 3))
                .containsExactly("committed-1", "committed-2", "committed-3");
        assertThat(readAll(stack.kafkaBootstrapServers(), topic, "read_uncommitted", 4))
                .containsExactly("committed-1", "committed-2", "aborted", "committed-3");
    }

    @Test
    void shouldKeepCommittedRecordsWhenKilledAndRestartedOnTheSameData(@TempDir Path home, TestNames names)
            throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(home, BuildInfo.load(), Duration.ofMinutes(2))) {
            String topic = names.topic("durable");
            createTopic(broker.bootstrapServers(), topic);
            try (KafkaProducer<String, String> producer = transactionalProducer(broker.bootstrapServers(),
                    names.applicationId("durable"))) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int i = 0; i < 100; i++) {
                    producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
                }
                producer.commitTransaction();
            }
            String before = broker.bootstrapServers();
            assertThat(readAll(broker.bootstrapServers(), topic, "read_committed", 100))
                    .as("visible to read_committed consumers before the kill").hasSize(100);

            broker.kill();
            assertThat(broker.isRunning()).isFalse();
            broker.restart();

            assertThat(broker.bootstrapServers()).isEqualTo(before);
            List<String> values = readAll(broker.bootstrapServers(), topic, "read_committed", 100);
            assertThat(values).hasSize(100).startsWith("v0").endsWith("v99");
        }
    }

    private static void createTopic(String bootstrap, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
    }

    private static KafkaProducer<String, String> transactionalProducer(String bootstrap, String transactionalId) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
    }

    /**
     * Reads from the start until {@code expected} records arrived or 60 s passed (a restarted broker first recovers
     * its logs and transaction state), then one second more to catch records beyond those expected.
     */
    private static List<String> readAll(String bootstrap, String topic, String isolation, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
                if (values.size() >= expected && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.nanoTime() + Duration.ofSeconds(1).toNanos();
                }
            }
        }
        return values;
    }
}
