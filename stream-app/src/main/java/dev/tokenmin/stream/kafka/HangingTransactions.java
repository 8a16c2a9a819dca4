package dev.tokenmin.stream.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Finds hanging transactions: a partition holding an open transaction that its transaction coordinator does not
 * know (the producer has no ongoing transaction, or one at another epoch, or one without this partition). Such a
 * partition's last stable offset never moves again, so every {@code read_committed} reader stops there: Kafka
 * Streams restoring a changelog (the instance waits in REBALANCING for good), the ClickHouse sink. No client can
 * release it; an operator aborts it ({@link Hanging#abortCommand}), after checking that it really hangs. This is the
 * check {@code kafka-transactions.sh find-hanging} makes, for the partitions given; Kafka's tools jar is not a
 * dependency of the stream app, hence the few calls here.
 * <p>
 * One look can catch a transaction whose marker is on its way; look twice, some seconds apart, and believe only what
 * both show with the same start offset ({@link #stillHanging}).
 * <p>
 * Not every hanging transaction was given up. Kafka's transaction coordinator skips the markers of a partition whose
 * leader it cannot find at that moment (it takes the partition for deleted) and still records the transaction as
 * complete; a single broker restarted after {@code kill -9} can do that while its partitions have no leader yet
 * (docs/faults.md). If that transaction committed, the records there are committed ones, and aborting them drops them.
 * Where the coordinator's own record still shows it ({@link #committedByItsCoordinator}), the finding says so
 * ({@link Hanging#committed}).
 */
public final class HangingTransactions {

    private static final Set<TransactionState> LIVE = Set.of(TransactionState.ONGOING, TransactionState.PREPARE_COMMIT,
            TransactionState.PREPARE_ABORT);

    /**
     * One open transaction its coordinator does not know.
     *
     * @param coordinatorView what the coordinator says about the producer (its state, or that it knows no such one)
     * @param committed       whether its coordinator records these records' transaction as committed: aborting them
     *                        then drops committed records (see the class comment)
     */
    public record Hanging(TopicPartition partition, long producerId, int producerEpoch, int coordinatorEpoch,
                          long startOffset, String coordinatorView, boolean committed) {

        /** The operator's command that aborts it. */
        public String abortCommand(String bootstrapServers) {
            return "kafka-transactions.sh --bootstrap-server " + bootstrapServers + " abort --topic "
                    + partition.topic() + " --partition " + partition.partition() + " --start-offset " + startOffset;
        }

        @Override
        public String toString() {
            return partition + " (producer " + producerId + ", epoch " + producerEpoch + ", open since offset "
                    + startOffset + "; coordinator: " + coordinatorView + ")";
        }
    }

    private HangingTransactions() {
    }

    /** Every partition of the topics whose names {@code topics} accepts (what to look at). */
    public static List<TopicPartition> partitionsOf(Admin admin, Predicate<String> topics)
            throws ExecutionException, InterruptedException {
        Set<String> names = admin.listTopics().names().get().stream().filter(topics).collect(Collectors.toSet());
        return admin.describeTopics(names).allTopicNames().get().values().stream()
                .flatMap(d -> d.partitions().stream().map(p -> new TopicPartition(d.name(), p.partition())))
                .toList();
    }

    /** One look at {@code partitions}. */
    public static List<Hanging> find(Admin admin, Collection<TopicPartition> partitions)
            throws ExecutionException, InterruptedException {
        Map<TopicPartition, ProducerState> open = new HashMap<>();
        admin.describeProducers(partitions).all().get().forEach((tp, d) -> d.activeProducers().stream()
                .filter(p -> p.currentTransactionStartOffset().isPresent()).findFirst()
                .ifPresent(p -> open.put(tp, p)));
        if (open.isEmpty()) {
            return List.of();
        }
        Map<Long, TransactionListing> byProducer = new HashMap<>();
        admin.listTransactions().all().get().forEach(t -> byProducer.put(t.producerId(), t));
        List<Hanging> hanging = new ArrayList<>();
        short transactionVersion = -1; // looked up once, if a coordinator shows a completed commit
        Map<String, Integer> coordinatorEpochs = new HashMap<>(); // one look per transactional id, not per partition
        for (Map.Entry<TopicPartition, ProducerState> e : open.entrySet()) {
            ProducerState p = e.getValue();
            TransactionListing listing = byProducer.get(p.producerId());
            String view = unknownToItsCoordinator(admin, e.getKey(), p, listing);
            if (view == null) {
                continue;
            }
            boolean committed = false;
            if (listing != null && listing.state() == TransactionState.COMPLETE_COMMIT) {
                if (transactionVersion < 0) {
                    transactionVersion = transactionVersion(admin);
                }
                Integer epoch = coordinatorEpochs.get(listing.transactionalId());
                if (epoch == null) {
                    epoch = admin.describeTransactions(List.of(listing.transactionalId())).all().get()
                            .get(listing.transactionalId()).producerEpoch();
                    coordinatorEpochs.put(listing.transactionalId(), epoch);
                }
                committed = committedByItsCoordinator(listing.state(), epoch, p.producerEpoch(), transactionVersion);
                if (committed) {
                    view = listing.transactionalId() + " committed this transaction (CompleteCommit at epoch " + epoch
                            + ") but no commit marker reached this partition: aborting drops committed records";
                }
            }
            hanging.add(new Hanging(e.getKey(), p.producerId(), p.producerEpoch(), p.coordinatorEpoch().orElse(0),
                    p.currentTransactionStartOffset().getAsLong(), view, committed));
        }
        hanging.sort(Comparator.comparing(h -> h.partition().toString()));
        return hanging;
    }

    /**
     * Whether a coordinator in {@code state} at producer epoch {@code coordinatorEpoch} has committed the transaction
     * of records written at {@code recordsEpoch}. With transaction version 2 (Kafka 4.0's default) every end of a
     * transaction bumps the producer's epoch, so CompleteCommit at the very next epoch means that transaction
     * committed. Version 1 keeps the epoch across transactions, and any other state or epoch leaves it open which
     * transaction the coordinator speaks of: not known, so false.
     */
    static boolean committedByItsCoordinator(TransactionState state, int coordinatorEpoch, int recordsEpoch,
                                             short transactionVersion) {
        return transactionVersion >= 2 && state == TransactionState.COMPLETE_COMMIT
                && coordinatorEpoch == recordsEpoch + 1;
    }

    /** The cluster's finalized {@code transaction.version} (0 when it has none). */
    static short transactionVersion(Admin admin) throws ExecutionException, InterruptedException {
        FinalizedVersionRange range = admin.describeFeatures().featureMetadata().get().finalizedFeatures()
                .get("transaction.version");
        return range == null ? 0 : range.maxVersionLevel();
    }

    /** What {@code later} shows that {@code earlier} showed too: the same partition, producer and start offset. */
    public static List<Hanging> stillHanging(List<Hanging> earlier, List<Hanging> later) {
        return later.stream().filter(h -> earlier.stream().anyMatch(e -> e.partition().equals(h.partition())
                && e.producerId() == h.producerId() && e.startOffset() == h.startOffset())).toList();
    }

    /** Null when the coordinator knows the transaction; otherwise what it says instead. */
    private static String unknownToItsCoordinator(Admin admin, TopicPartition tp, ProducerState p,
                                                  TransactionListing listing)
            throws ExecutionException, InterruptedException {
        if (listing == null) {
            return "no transactional id with this producer id";
        }
        if (!LIVE.contains(listing.state())) {
            return listing.transactionalId() + " is " + listing.state();
        }
        TransactionDescription d = admin.describeTransactions(List.of(listing.transactionalId())).all().get()
                .get(listing.transactionalId());
        if (d.producerEpoch() != p.producerEpoch()) {
            return listing.transactionalId() + " is " + listing.state() + " at epoch " + d.producerEpoch();
        }
        if (!d.topicPartitions().contains(tp)) {
            return listing.transactionalId() + " is " + listing.state() + " without this partition";
        }
        return null;
    }
}
