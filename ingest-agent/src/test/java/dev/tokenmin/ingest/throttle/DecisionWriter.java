package dev.tokenmin.ingest.throttle;

import dev.tokenmin.avro.LimitUnit;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.registry.SubjectNameStrategy;
import dev.tokenmin.schemas.serde.ConfluentAvroSerializer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Writes throttle decisions the way the stream app does: in transactions, keyed by scope, tombstones to lift. */
public final class DecisionWriter implements AutoCloseable {

    private final String topic;
    private final SchemaRegistryClient registry;
    private final KafkaProducer<String, ThrottleDecision> producer;

    public DecisionWriter(Stack stack, String topic) {
        this.topic = topic;
        this.registry = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()));
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "decision-writer-" + UUID.randomUUID()),
                new StringSerializer(), new ConfluentAvroSerializer<>(registry, true, SubjectNameStrategy.TOPIC_NAME,
                false));
        producer.initTransactions();
    }

    public static ThrottleDecision decision(String scope, ThrottleAction action, Instant periodEnd) {
        return ThrottleDecision.newBuilder().setScope(scope).setAction(action)
                .setMaxModelTier(action == ThrottleAction.NONE ? null : "small")
                .setMaxInputTokens(action == ThrottleAction.LIMIT_CONTEXT || action == ThrottleAction.BLOCK ? 4000L : null)
                .setReason("budget b-1: 100% of 50 USD monthly").setBudgetId("b-1").setSpent(50_000_000_000L)
                .setLimit(50_000_000_000L).setLimitUnit(LimitUnit.NANO_USD).setPeriodEnd(periodEnd)
                .setDecidedAt(Instant.now()).build();
    }

    /** A decision for a scope; a null decision is a tombstone. */
    public record Write(String scope, ThrottleDecision decision) {
    }

    /** Writes {@code decision} for {@code scope} (null: a tombstone) and commits. */
    public void write(String scope, ThrottleDecision decision) {
        writeInOneTransaction(List.of(new Write(scope, decision)));
    }

    /**
     * Writes {@code writes} in order, in one transaction. For many decisions at once: hundreds of one-record
     * transactions back to back (a produce right after each commit, while its markers are still being written) once
     * ended in a fatal InvalidTxnStateException from Kafka 4.3's broker (transactions v2) in a CI run; the stream
     * app's commits (every 100 ms) have not met it in any run.
     */
    public void writeInOneTransaction(List<Write> writes) {
        producer.beginTransaction();
        for (Write w : writes) {
            producer.send(new ProducerRecord<>(topic, w.scope(), w.decision()));
        }
        producer.commitTransaction();
    }

    @Override
    public void close() {
        producer.close();
        registry.close();
    }
}
