package dev.tokenmin.faults;

import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The operator's remedy for a hanging transaction, as {@code kafka-transactions.sh find-hanging} and {@code abort}
 * would apply it: a partition holding an open transaction that its transaction coordinator no longer knows (the
 * producer has no ongoing transaction with this partition at this epoch) holds back its last stable offset for
 * good, so every {@code read_committed} reader (changelog restoration, the sink) stops there.
 * <p>
 * Why the suite needs it: with the broker killed -9 while the stream app commits every 100 ms, Kafka 4.3.1 (a
 * single KRaft node) sometimes came back with partitions whose transaction the coordinator showed as finished
 * ({@code Empty}) while the partitions never got its marker (2 of 5 CI runs on 2026-11-23; see docs/faults.md). No
 * client can write a marker; only an abort through the admin API releases the partition. A transaction counts as
 * hanging only when it was seen so in two checks at least {@code confirmAfterMs} apart with the same start offset, so
 * one whose marker is merely on its way is left alone. Whether aborting was right is then checked like everything
 * else: the scenario's totals must still equal the distinct events.
 */
final class HangingTransactions {

    private record Seen(long startOffset, long atMs) {
    }

    private final Admin admin;
    private final Supplier<List<TopicPartition>> partitions;
    private final long confirmAfterMs;
    private final Map<TopicPartition, Seen> suspects = new HashMap<>();
    private final List<String> aborted = new ArrayList<>();

    HangingTransactions(Admin admin, Supplier<List<TopicPartition>> partitions, long confirmAfterMs) {
        this.admin = admin;
        this.partitions = partitions;
        this.confirmAfterMs = confirmAfterMs;
    }

    /** One look: aborts what has been hanging since the last look (and before), returns what it aborted now. */
    List<String> check(long nowMs) throws Exception {
        List<TopicPartition> all = partitions.get();
        Map<TopicPartition, ProducerState> open = new HashMap<>();
        admin.describeProducers(all).all().get().forEach((tp, d) -> d.activeProducers().stream()
                .filter(p -> p.currentTransactionStartOffset().isPresent()).findFirst()
                .ifPresent(p -> open.put(tp, p)));
        suspects.keySet().retainAll(open.keySet());
        if (open.isEmpty()) {
            return List.of();
        }
        Map<Long, TransactionListing> byProducer = new HashMap<>();
        admin.listTransactions().all().get().forEach(t -> byProducer.put(t.producerId(), t));
        List<String> now = new ArrayList<>();
        for (Map.Entry<TopicPartition, ProducerState> e : open.entrySet()) {
            TopicPartition tp = e.getKey();
            ProducerState p = e.getValue();
            if (!unknownToItsCoordinator(tp, p, byProducer.get(p.producerId()))) {
                suspects.remove(tp);
                continue;
            }
            long start = p.currentTransactionStartOffset().getAsLong();
            Seen before = suspects.get(tp);
            if (before == null || before.startOffset() != start) {
                suspects.put(tp, new Seen(start, nowMs));
                continue;
            }
            if (nowMs - before.atMs() < confirmAfterMs) {
                continue;
            }
            admin.abortTransaction(new AbortTransactionSpec(tp, p.producerId(), (short) p.producerEpoch(),
                    p.coordinatorEpoch().orElse(0))).all().get();
            suspects.remove(tp);
            String what = tp + " (producer " + p.producerId() + ", epoch " + p.producerEpoch() + ", open since offset "
                    + start + ")";
            aborted.add(what);
            now.add(what);
        }
        return now;
    }

    /** Every transaction aborted so far. */
    List<String> aborted() {
        return List.copyOf(aborted);
    }

    private boolean unknownToItsCoordinator(TopicPartition tp, ProducerState p, TransactionListing listing)
            throws Exception {
        if (listing == null) {
            return true;
        }
        Set<TransactionState> live = Set.of(TransactionState.ONGOING, TransactionState.PREPARE_COMMIT,
                TransactionState.PREPARE_ABORT);
        if (!live.contains(listing.state())) {
            return true;
        }
        TransactionDescription d = admin.describeTransactions(List.of(listing.transactionalId())).all().get()
                .get(listing.transactionalId());
        return d.producerEpoch() != p.producerEpoch() || !d.topicPartitions().contains(tp);
    }
}
