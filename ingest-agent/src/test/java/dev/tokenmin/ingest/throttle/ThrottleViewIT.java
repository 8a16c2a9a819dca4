package dev.tokenmin.ingest.throttle;

import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.ingest.UsageTopic;
import dev.tokenmin.ingest.emit.EmitterConfig;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The throttle view against the real broker and registry. */
@ExtendWith(LocalStackExtension.class)
class ThrottleViewIT {

    static final RequestContext ALICE = new RequestContext("acme", "alice", "summarize", "ml", "s-1");

    static EmitterConfig config(Stack stack, String throttleTopic, Path dir) {
        return EmitterConfig.fromProperties(Map.of(
                EmitterConfig.BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers(),
                EmitterConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl(),
                EmitterConfig.THROTTLE_TOPIC, throttleTopic,
                EmitterConfig.SPOOL_DIR, dir.toString()));
    }

    @Test
    void shouldBeReadyOnlyAfterReadingWhatTheTopicHeldAtStart(Stack stack, TestNames names, @TempDir Path dir)
            throws Exception {
        String topic = names.topic("throttle");
        UsageTopic.create(stack, topic, 3, Map.of("cleanup.policy", "compact"));
        try (DecisionWriter writer = new DecisionWriter(stack, topic)) {
            List<DecisionWriter.Write> writes = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                writes.add(new DecisionWriter.Write("customer:c" + i,
                        DecisionWriter.decision("customer:c" + i, ThrottleAction.DOWNGRADE, null)));
            }
            writer.writeInOneTransaction(writes);
            writer.write("customer:acme", DecisionWriter.decision("customer:acme", ThrottleAction.BLOCK, null));
            writer.write("customer:c7", null);
        }
        // A record the view cannot decode is skipped, counted, and does not stop it.
        try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers",
                stack.kafkaBootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(topic, "customer:poison", new byte[] {0, 0, 0, 0, 42, 1})).get();
        }

        try (ThrottleView view = ThrottleView.start(config(stack, topic, dir))) {
            assertThat(view.awaitReady(Duration.ofSeconds(30))).isTrue();

            // Ready means complete: every decision written before the start is in force.
            assertThat(view.size()).isEqualTo(300);
            assertThat(view.decisionFor(ALICE).action()).isEqualTo(ThrottleAction.BLOCK);
            assertThat(view.decisionFor(new RequestContext("c7", null, null, null, null)).action())
                    .isEqualTo(ThrottleAction.NONE);
            assertThat(view.unreadable()).isEqualTo(1);
        }
    }

    @Test
    void shouldFollowChangesTellListenersAndLiftDecisionsWhosePeriodEnded(Stack stack, TestNames names,
                                                                          @TempDir Path dir) throws Exception {
        String topic = names.topic("throttle");
        UsageTopic.create(stack, topic, 1, Map.of("cleanup.policy", "compact"));
        Instant now = Instant.now();
        SettableClock clock = new SettableClock(now);
        List<String> changes = new CopyOnWriteArrayList<>();
        try (ThrottleView view = ThrottleView.start(config(stack, topic, dir), clock);
             DecisionWriter writer = new DecisionWriter(stack, topic)) {
            view.addListener((scope, before, after) -> changes.add(scope + ": " + action(before) + " -> "
                    + action(after)));
            assertThat(view.awaitReady(Duration.ofSeconds(30))).isTrue();

            writer.write("customer:acme/user:alice",
                    DecisionWriter.decision("customer:acme/user:alice", ThrottleAction.DOWNGRADE, null));
            writer.write("customer:acme/user:alice",
                    DecisionWriter.decision("customer:acme/user:alice", ThrottleAction.LIMIT_CONTEXT, null));
            // A decision whose period already ended lifts nothing and restricts nothing.
            writer.write("session:s-1", DecisionWriter.decision("session:s-1", ThrottleAction.BLOCK, now.minusSeconds(1)));
            await().atMost(Duration.ofSeconds(5)).until(() -> changes.size() == 2);
            assertThat(view.decisionFor(ALICE).action()).isEqualTo(ThrottleAction.LIMIT_CONTEXT);

            writer.write("customer:acme/user:alice", null);
            await().atMost(Duration.ofSeconds(5)).until(() -> changes.size() == 3);
            assertThat(view.decisionFor(ALICE).action()).isEqualTo(ThrottleAction.NONE);

            // A period rollover lifts a decision without the stream app writing anything.
            writer.write("customer:acme", DecisionWriter.decision("customer:acme", ThrottleAction.BLOCK,
                    now.plus(Duration.ofHours(1))));
            await().atMost(Duration.ofSeconds(5)).until(() -> changes.size() == 4);
            assertThat(view.decisionFor(ALICE).action()).isEqualTo(ThrottleAction.BLOCK);
            clock.set(now.plus(Duration.ofHours(1)));
            assertThat(view.decisionFor(ALICE).action()).isEqualTo(ThrottleAction.NONE);
            await().atMost(Duration.ofSeconds(5)).until(() -> changes.size() == 5);
            assertThat(view.size()).isZero();
            assertThat(changes).containsExactly("customer:acme/user:alice: none -> DOWNGRADE",
                    "customer:acme/user:alice: DOWNGRADE -> LIMIT_CONTEXT",
                    "customer:acme/user:alice: LIMIT_CONTEXT -> none",
                    "customer:acme: none -> BLOCK",
                    "customer:acme: BLOCK -> none");
        }
    }

    /** A clock the test moves forward. */
    static final class SettableClock extends Clock {
        private volatile Instant now;

        SettableClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    private static String action(ThrottleDecision d) {
        return d == null ? "none" : d.getAction().name();
    }
}
