package dev.tokenmin.stream.app;

import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import dev.tokenmin.stream.config.StreamAppConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A rebalance that never ends, on the real broker: a member of the app's consumer group that joined and then stopped
 * polling, while its heartbeats keep it in the group (a process wedged outside its poll loop). The group waits for
 * it to rejoin for its whole {@code max.poll.interval.ms}, so a stream app instance that starts meanwhile stays in
 * REBALANCING with nothing changing. With {@code stall.timeout.seconds} set, the instance stops, failed (its process
 * exits 1 for its supervisor to start it again), leaves its threads' stacks in {@code diagnostics/} and has looked
 * for hanging transactions on its topics (none here).
 */
@ExtendWith(LocalStackExtension.class)
class StallIT {

    /** Joins with Kafka Streams' protocol name, so the group accepts both, and hands out no partitions. */
    public static final class NeverRejoins implements ConsumerPartitionAssignor {
        @Override
        public GroupAssignment assign(Cluster metadata, GroupSubscription subscription) {
            return new GroupAssignment(subscription.groupSubscription().keySet().stream()
                    .collect(Collectors.toMap(m -> m, m -> new Assignment(List.of()))));
        }

        @Override
        public String name() {
            return "stream";
        }
    }

    @Test
    void shouldStopFailedAndKeepItsThreadsWhenARebalanceNeverEnds(Stack stack, TestNames names, @TempDir Path dir)
            throws Exception {
        try (RunningApp run = new RunningApp(stack, names.toString(), names.applicationId("tokenmin"),
                dir.resolve("unused"), 2);
             KafkaConsumer<byte[], byte[]> wedged = wedgedMember(stack, run)) {
            assertThat(wedged.groupMetadata().generationId()).as("the wedged member is in the group").isPositive();
            Path state = dir.resolve("state");
            StreamAppConfig config = StreamAppConfig.fromProperties(Map.of(
                    StreamAppConfig.BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers(),
                    StreamAppConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl(),
                    StreamAppConfig.APPLICATION_ID, run.applicationId,
                    StreamAppConfig.STATE_DIR, state.toString(),
                    StreamAppConfig.HTTP_PORT, "0",
                    StreamAppConfig.STALL_TIMEOUT_SECONDS, "5")).withTopics(run.topics);
            long start = System.nanoTime();
            try (StreamApp app = StreamApp.start(config)) {
                assertThat(app.awaitStopped(90, TimeUnit.SECONDS)).as("stopped on its own").isTrue();
                long took = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                System.out.printf("[StallIT] stopped %d s after start (stall timeout 5 s)%n", took);

                assertThat(app.failed()).as("failed: the process exits 1").isTrue();
                assertThat(app.stallDiagnosis()).as("it looked for hanging transactions, found none")
                        .isEqualTo("no hanging transaction on the app's topics");
                assertThat(took).as("not before the stall timeout").isGreaterThanOrEqualTo(5);
                assertThat(app.streams().state()).isIn(KafkaStreams.State.PENDING_SHUTDOWN,
                        KafkaStreams.State.NOT_RUNNING);
                List<Path> dumps;
                try (Stream<Path> files = Files.list(state.resolve("diagnostics"))) {
                    dumps = files.toList();
                }
                assertThat(dumps).singleElement().satisfies(dump -> {
                    assertThat(dump.getFileName().toString()).startsWith("stalled-").endsWith(".threads.txt");
                    assertThat(Files.readString(dump)).as("every thread with its stack, the stream thread's too")
                            .contains("StreamThread-1\"").contains("StreamThread.runLoop(StreamThread.java:");
                });

                // The wedged member leaves: the rebalance ends and the stopped client's thread can finish, so no
                // client outlives this test in the JVM.
                wedged.close();
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> app.streams().state() == KafkaStreams.State.NOT_RUNNING);
            }
        }
    }

    /** A member of the app's group that joined, then never polls again; its heartbeats go on for two minutes. */
    private static KafkaConsumer<byte[], byte[]> wedgedMember(Stack stack, RunningApp run) {
        Map<String, Object> props = new HashMap<>(run.kafka);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, run.applicationId);
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, NeverRejoins.class.getName());
        props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 120_000);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        consumer.subscribe(List.of(run.topics.usage()));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200));
                ConsumerGroupMetadata joined = consumer.groupMetadata();
                return joined.generationId() > 0 && admin.describeConsumerGroups(List.of(run.applicationId)).all()
                        .get().get(run.applicationId).groupState() == GroupState.STABLE;
            });
        }
        return consumer;
    }
}
