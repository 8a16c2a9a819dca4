package dev.tokenmin.faults;

import dev.tokenmin.stream.kafka.HangingTransactions;
import dev.tokenmin.stream.kafka.HangingTransactions.Hanging;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The operator's remedy for a hanging transaction ({@link HangingTransactions}), as {@code kafka-transactions.sh
 * find-hanging} and {@code abort} would apply it, run by the fault suite every few seconds.
 * <p>
 * Why the suite needs it: with the broker killed -9 while the stream app commits every 100 ms, Kafka 4.3.1 (a
 * single KRaft node) sometimes came back with partitions holding a transaction that the coordinator showed as
 * finished ({@code Empty}), which no client can release (2 of 5 CI runs on 2026-11-23; see docs/faults.md). A
 * transaction is aborted only when it was seen hanging in looks at least {@code confirmAfterMs} apart with the same
 * start offset, so one whose marker is merely on its way is left alone. Whether aborting was right is then checked
 * like everything else: the scenario's totals must still equal the distinct events.
 */
final class HangingTransactionJanitor {

    private final Admin admin;
    private final Predicate<String> topics;
    private final long confirmAfterMs;
    private final Consumer<TopicPartition> beforeAbort;
    private final Map<TopicPartition, Long> firstSeenMs = new HashMap<>();
    private List<Hanging> lastSeen = List.of();
    private final List<String> aborted = new ArrayList<>();

    /**
     * @param topics      the topics to look at, by name
     * @param beforeAbort runs with each partition about to be aborted (to keep its files for a post-mortem)
     */
    HangingTransactionJanitor(Admin admin, Predicate<String> topics, long confirmAfterMs,
                              Consumer<TopicPartition> beforeAbort) {
        this.admin = admin;
        this.topics = topics;
        this.confirmAfterMs = confirmAfterMs;
        this.beforeAbort = beforeAbort;
    }

    /** One look: aborts what has hung for {@code confirmAfterMs}; returns what it aborted now. */
    List<String> check(long nowMs) throws ExecutionException, InterruptedException {
        List<Hanging> seen = HangingTransactions.find(admin, HangingTransactions.partitionsOf(admin, topics));
        List<Hanging> still = HangingTransactions.stillHanging(lastSeen, seen);
        lastSeen = seen;
        firstSeenMs.keySet().retainAll(still.stream().map(Hanging::partition).toList());
        List<String> now = new ArrayList<>();
        for (Hanging h : still) {
            long since = firstSeenMs.computeIfAbsent(h.partition(), tp -> nowMs);
            if (nowMs - since < confirmAfterMs) {
                continue;
            }
            beforeAbort.accept(h.partition());
            admin.abortTransaction(new AbortTransactionSpec(h.partition(), h.producerId(), (short) h.producerEpoch(),
                    h.coordinatorEpoch())).all().get();
            firstSeenMs.remove(h.partition());
            aborted.add(h.toString());
            now.add(h.toString());
        }
        return now;
    }

    /** Every transaction aborted so far. */
    List<String> aborted() {
        return List.copyOf(aborted);
    }
}
