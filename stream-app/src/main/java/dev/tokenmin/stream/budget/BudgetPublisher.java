package dev.tokenmin.stream.budget;

import dev.tokenmin.avro.Budget;
import dev.tokenmin.stream.kafka.TopicAdmin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Writes budgets to the budgets topic (key: budget id; a tombstone deletes), each checked by
 * {@link BudgetValidator} first, and returns once Kafka has them (idempotent producer, all in-sync replicas).
 * Used by the {@code budgets} command and the stream app's REST API.
 */
public final class BudgetPublisher implements AutoCloseable {

    /** Kafka's delivery timeout (at least its request timeout, 30 s by default), and a margin for the answer. */
    private static final int DELIVERY_TIMEOUT_MS = 35_000;
    private static final long ACK_TIMEOUT_S = 40;

    private final String topic;
    private final Map<String, Object> kafka;
    private final Serde<Budget> serde;
    private final KafkaProducer<String, Budget> producer;

    /** @param kafka Kafka client settings, {@code bootstrap.servers} and security included */
    public BudgetPublisher(String topic, Map<String, Object> kafka, Serde<Budget> serde) {
        this.topic = topic;
        this.kafka = kafka;
        this.serde = serde;
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, DELIVERY_TIMEOUT_MS);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), serde.serializer());
    }

    /**
     * Creates or replaces each budget; nothing is written unless all are valid.
     *
     * @throws dev.tokenmin.schemas.validation.InvalidUsageException when one is invalid
     * @throws IllegalStateException when Kafka does not take them in time
     */
    public void put(List<Budget> budgets) throws InterruptedException {
        budgets.forEach(BudgetValidator::validate);
        List<Future<?>> sends = new ArrayList<>();
        for (Budget b : budgets) {
            sends.add(producer.send(new ProducerRecord<>(topic, b.getBudgetId(), b)));
        }
        await(sends);
    }

    /** Deletes budgets by id (a tombstone each; deleting an unknown id does nothing downstream). */
    public void delete(List<String> budgetIds) throws InterruptedException {
        List<Future<?>> sends = new ArrayList<>();
        for (String id : budgetIds) {
            sends.add(producer.send(new ProducerRecord<>(topic, id, null)));
        }
        await(sends);
    }

    /** The budgets the topic holds now, by id. */
    public Map<String, Budget> list() {
        return TopicAdmin.readCompacted(topic, kafka, serde.deserializer());
    }

    private void await(List<Future<?>> sends) throws InterruptedException {
        producer.flush();
        try {
            for (Future<?> f : sends) {
                f.get(ACK_TIMEOUT_S, TimeUnit.SECONDS);
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("Kafka did not take the budgets: " + e.getCause().getMessage(), e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not confirm the budgets within " + ACK_TIMEOUT_S + " s", e);
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
