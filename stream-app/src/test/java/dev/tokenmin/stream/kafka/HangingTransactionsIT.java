package dev.tokenmin.stream.kafka;

import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import dev.tokenmin.stream.kafka.HangingTransactions.Hanging;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Open transactions their coordinator knows are never reported as hanging, on the real broker; the fault suite
 * (faults/.../HangingTransactionJanitor) meets the real hanging ones a broker kill -9 leaves behind.
 */
@ExtendWith(LocalStackExtension.class)
class HangingTransactionsIT {

    @Test
    void shouldNotTakeAnOngoingOrCommittedTransactionForAHangingOne(Stack stack, TestNames names) throws Exception {
        String topic = "hanging." + names;
        List<TopicPartition> partitions = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()));
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers(),
                     ProducerConfig.TRANSACTIONAL_ID_CONFIG, "hanging-test-" + names),
                     new StringSerializer(), new StringSerializer())) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, "k", "v")).get();
            producer.send(new ProducerRecord<>(topic, 1, "k", "v")).get();

            assertThat(admin.describeProducers(partitions).all().get().get(partitions.getFirst()).activeProducers())
                    .as("the partition holds an open transaction")
                    .anySatisfy(p -> assertThat(p.currentTransactionStartOffset()).isPresent());
            assertThat(HangingTransactions.find(admin, partitions)).as("ongoing, and its coordinator knows it")
                    .isEmpty();

            producer.commitTransaction();
            // Right after the commit a look may still see the partitions open while their markers are on the way
            // (why callers believe only two looks): within seconds nothing is left.
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                    .until(() -> HangingTransactions.find(admin, partitions).isEmpty());
            assertThat(admin.describeProducers(partitions).all().get().values()).as("markers written")
                    .allSatisfy(d -> assertThat(d.activeProducers())
                            .allSatisfy(p -> assertThat(p.currentTransactionStartOffset()).isEmpty()));
        }
    }

    @Test
    void shouldReadTheClustersTransactionVersionThatTellsWhetherAHangingTransactionCommitted(Stack stack)
            throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()))) {
            // Kafka 4.3.1's default: each end of a transaction bumps the producer epoch, which the check relies on.
            assertThat(HangingTransactions.transactionVersion(admin)).isEqualTo((short) 2);
        }
    }

    @Test
    void shouldBelieveOnlyWhatTwoLooksShowWithTheSameStartOffset() {
        TopicPartition p0 = new TopicPartition("t", 0);
        TopicPartition p1 = new TopicPartition("t", 1);
        Hanging a = new Hanging(p0, 2, 82, 0, 3_161, "Empty", false);
        Hanging b = new Hanging(p1, 2, 82, 0, 2_434, "Empty", false);
        Hanging movedOn = new Hanging(p1, 2, 83, 0, 2_500, "Empty", false);

        assertThat(HangingTransactions.stillHanging(List.of(a, b), List.of(a, movedOn))).containsExactly(a);
        assertThat(HangingTransactions.stillHanging(List.of(), List.of(a))).isEmpty();
        assertThat(a.abortCommand("broker:9092")).isEqualTo(
                "kafka-transactions.sh --bootstrap-server broker:9092 abort --topic t --partition 0 --start-offset 3161");
    }
}
