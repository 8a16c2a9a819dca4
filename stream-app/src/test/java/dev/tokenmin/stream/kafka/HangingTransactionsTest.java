package dev.tokenmin.stream.kafka;

import org.apache.kafka.clients.admin.TransactionState;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** When a hanging transaction's records are known to be committed: only what its coordinator's record proves. */
class HangingTransactionsTest {

    @Test
    void shouldCallHangingRecordsCommittedWhenTheirCoordinatorCompletedTheCommitOfTheirEpoch() {
        // Kafka 4.3.1 after a kill -9: records at epoch 62, the coordinator at CompleteCommit, epoch 63.
        assertThat(HangingTransactions.committedByItsCoordinator(TransactionState.COMPLETE_COMMIT, 63, 62, (short) 2))
                .isTrue();
    }

    @Test
    void shouldNotCallThemCommittedWhenTheCoordinatorSpeaksOfAnotherTransactionOrGaveItUp() {
        assertThat(HangingTransactions.committedByItsCoordinator(TransactionState.COMPLETE_ABORT, 63, 62, (short) 2))
                .as("aborted").isFalse();
        assertThat(HangingTransactions.committedByItsCoordinator(TransactionState.COMPLETE_COMMIT, 64, 62, (short) 2))
                .as("a later transaction committed").isFalse();
        assertThat(HangingTransactions.committedByItsCoordinator(TransactionState.EMPTY, 63, 62, (short) 2))
                .as("re-initialized: the outcome is not on record").isFalse();
        assertThat(HangingTransactions.committedByItsCoordinator(TransactionState.COMPLETE_COMMIT, 63, 62, (short) 1))
                .as("transaction version 1 keeps epochs across transactions").isFalse();
    }
}
