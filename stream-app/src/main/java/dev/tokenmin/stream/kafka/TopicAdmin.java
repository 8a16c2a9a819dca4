package dev.tokenmin.stream.kafka;

import dev.tokenmin.schemas.Topics;
import dev.tokenmin.stream.config.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/** Creating tokenmin's topics with their designed policies, and reading a compacted topic's current content. */
public final class TopicAdmin {

    /** How long a topic that was just created may take to appear in metadata. */
    private static final Duration NEW_TOPIC_VISIBLE_WITHIN = Duration.ofSeconds(10);

    private TopicAdmin() {
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for topic metadata", e);
        }
    }

    /**
     * Creates each of {@code names}' topics that does not exist yet, with the policy {@link Topics#CONFIGS} gives
     * its default name; prices and budgets get one partition (they are few), the others {@code partitions}.
     *
     * @return the topics created
     */
    public static List<String> createMissing(Map<String, Object> kafka, TopicNames names, int partitions)
            throws InterruptedException {
        Map<String, String> byDefault = Map.of(names.usage(), Topics.USAGE, names.prices(), Topics.PRICES,
                names.budgets(), Topics.BUDGETS, names.priced(), Topics.USAGE_PRICED, names.spend(), Topics.SPEND,
                names.alerts(), Topics.ALERTS, names.throttle(), Topics.THROTTLE, names.deadLetters(), Topics.DLQ,
                names.webhookDeadLetters(), Topics.WEBHOOK_DLQ);
        Map<String, NewTopic> wanted = new HashMap<>();
        byDefault.forEach((topic, designed) -> {
            boolean few = designed.equals(Topics.PRICES) || designed.equals(Topics.BUDGETS);
            wanted.put(topic, new NewTopic(topic, Optional.of(few ? 1 : partitions), Optional.empty())
                    .configs(Topics.CONFIGS.get(designed)));
        });
        return create(kafka, wanted);
    }

    /** Creates {@code topic} with {@code designed}'s policy (a name in {@link Topics}) unless it exists. */
    public static boolean createIfMissing(Map<String, Object> kafka, String topic, String designed, int partitions)
            throws InterruptedException {
        return !create(kafka, Map.of(topic, new NewTopic(topic, Optional.of(partitions), Optional.empty())
                .configs(Topics.CONFIGS.get(designed)))).isEmpty();
    }

    private static List<String> create(Map<String, Object> kafka, Map<String, NewTopic> wanted)
            throws InterruptedException {
        try (Admin admin = Admin.create(kafka)) {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = new ArrayList<>();
            wanted.forEach((topic, t) -> {
                if (!existing.contains(topic)) {
                    missing.add(t);
                }
            });
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get();
            }
            return missing.stream().map(NewTopic::name).sorted().toList();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create topics: " + e.getCause().getMessage(), e);
        }
    }

    /**
     * A compacted topic's content by key, read from the beginning to the end offsets seen at start (committed
     * records only; the latest value per key wins; tombstones remove).
     *
     * @throws IllegalStateException when the topic does not exist or cannot be read to its end in 2 minutes
     */
    public static <V> Map<String, V> readCompacted(String topic, Map<String, Object> kafka,
                                                   Deserializer<V> values) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        Map<String, V> current = new HashMap<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            // A topic created a moment ago may not be in the broker's metadata yet (KRaft propagates it
            // asynchronously; seen in CI right after createTopics returned): ask again for a few seconds.
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            long visibleBy = System.nanoTime() + NEW_TOPIC_VISIBLE_WITHIN.toNanos();
            while ((infos == null || infos.isEmpty()) && System.nanoTime() < visibleBy) {
                sleep(Duration.ofMillis(200));
                infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            }
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist; create it compacted "
                        + "(cleanup.policy=compact), or run with --create-topic");
            }
            List<TopicPartition> partitions = infos.stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end within 2 minutes");
                }
                for (ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        current.remove(r.key());
                    } else {
                        current.put(r.key(), r.value());
                    }
                }
            }
        }
        return current;
    }
}
