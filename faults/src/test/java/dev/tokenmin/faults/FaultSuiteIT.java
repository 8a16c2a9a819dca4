package dev.tokenmin.faults;

import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fault suite: each scenario sends a {@link Workload} through the whole path on the real local stack (Kafka
 * broker, schema registry, ClickHouse; the stream app as child JVMs, exactly-once; the ClickHouse sink), injects its
 * fault while events flow, and checks that every scope's total in the app's state, the throttle decisions and
 * ClickHouse all equal the distinct events produced: none lost, none counted twice. Each prints a row of the table
 * written to {@code target/fault-report.md}.
 * <p>
 * Sizes: CI runs 40,000-60,000 events per scenario at 450-800 events/s, long enough for every fault to land while
 * events flow; {@code ./tokenmin faults --soak} ({@code -Dfaults.soak=true})
 * runs 200,000. Both are bounded: every wait has a deadline.
 */
@ExtendWith(LocalStackExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultSuiteIT {

    private static final boolean SOAK = Boolean.getBoolean("faults.soak");
    private static final int RATE = 800;
    private static final long SUITE_START = System.nanoTime();
    private static final List<String> ROWS = new ArrayList<>();

    private static int events(int ci) {
        return SOAK ? 200_000 : ci;
    }

    private static int rate(int ci) {
        return SOAK ? RATE : ci;
    }

    /**
     * The injected fault's duration: the broker down, an instance frozen, ClickHouse away for {@code length} while
     * events keep flowing. A wait that is the fault itself, not a wait for a condition (those poll with deadlines).
     */
    private static void holdFault(Duration length, String what) throws InterruptedException {
        log("fault held for %d s: %s", length.toSeconds(), what);
        Thread.sleep(length.toMillis());
    }

    /** One line of the suite's progress, with the seconds since the suite started. */
    private static void log(String format, Object... args) {
        System.out.printf("[faults] +%.1f s %s%n", (System.nanoTime() - SUITE_START) / 1e9,
                String.format(format, args));
    }

    @Test
    @Order(1)
    void brokerKilledFiveTimes(LocalStack stack, TestNames names, @TempDir Path dir) throws Exception {
        Workload workload = Workload.generate(1, events(60_000), Instant.now());
        long t0 = System.nanoTime();
        try (FaultRun run = new FaultRun(stack, names, dir, 4)) {
            run.startPipeline(workload, run.app(Map.of()));
            FaultRun.Production production = run.produce(workload, rate(600));
            for (int kill = 1; kill <= 5; kill++) {
                production.awaitSent(workload.distinct() * kill / 6);
                stack.kafka().kill();
                holdFault(Duration.ofSeconds(3), "the broker stays down");
                stack.kafka().restart();
                log("broker killed -9 and restarted (%d of 5) at %,d events sent", kill,
                        production.sent.get());
            }
            production.awaitDone(Duration.ofMinutes(10));
            check("broker kill -9 x5, restarted on its data", workload, production, run, t0);
        }
    }

    @Test
    @Order(2)
    void streamAppKilledFiveTimesThenRestoredFromChangelogs(LocalStack stack, TestNames names, @TempDir Path dir)
            throws Exception {
        Workload workload = Workload.generate(2, events(45_000), Instant.now());
        long t0 = System.nanoTime();
        try (FaultRun run = new FaultRun(stack, names, dir, 4)) {
            StreamAppProcess app = run.app(Map.of());
            run.startPipeline(workload, app);
            FaultRun.Production production = run.produce(workload, rate(450));
            for (int kill = 1; kill <= 5; kill++) {
                production.awaitSent(workload.distinct() * kill / 7);
                run.change(() -> {
                    app.kill();
                    app.start();
                });
                log("stream app killed -9 and started again (%d of 5) at %,d events sent",
                        kill, production.sent.get());
            }
            production.awaitSent(workload.distinct() * 6 / 7);
            run.change(() -> {
                app.stop();
                app.wipeState();
                app.start();
            });
            log("stream app stopped, state folder deleted, started again (restored from "
                    + "changelogs) at %,d events sent", production.sent.get());
            production.awaitDone(Duration.ofMinutes(10));
            check("stream app kill -9 x5, then a restart with its state wiped", workload, production, run, t0);
        }
    }

    @Test
    @Order(3)
    void zombieInstanceFencedWhileAnotherTakesOver(LocalStack stack, TestNames names, @TempDir Path dir)
            throws Exception {
        Workload workload = Workload.generate(3, events(40_000), Instant.now());
        long t0 = System.nanoTime();
        Map<String, String> quickFencing = Map.of("kafka.max.poll.interval.ms", "10000");
        try (FaultRun run = new FaultRun(stack, names, dir, 4)) {
            StreamAppProcess first = run.app(quickFencing);
            StreamAppProcess second = run.app(quickFencing);
            run.startPipeline(workload, first, second);
            FaultRun.Production production = run.produce(workload, rate(600));
            production.awaitSent(workload.distinct() / 3);
            first.signal("STOP");
            log("%s frozen (SIGSTOP) at %,d events sent; the other takes its tasks", first,
                    production.sent.get());
            holdFault(Duration.ofSeconds(25), "frozen past session.timeout.ms and max.poll.interval.ms (10 s)");
            first.signal("CONT");
            log("%s thawed (SIGCONT) at %,d events sent: a zombie, fenced on its next "
                    + "commit", first, production.sent.get());
            production.awaitSent(workload.distinct() * 2 / 3);
            StreamAppProcess third = run.app(quickFencing);
            run.change(third::start);
            log("a third instance joined at %,d events sent (another rebalance)",
                    production.sent.get());
            production.awaitDone(Duration.ofMinutes(10));
            check("one of two instances frozen 25 s (zombie), thawed; a third joins", workload, production, run,
                    t0);
            // Kafka 4.3.1 answers a zombie's commit with PRODUCER_FENCED (Kafka Streams rejoins the group) or, when
            // the coordinator is still aborting its timed-out transaction, INVALID_TXN_STATE (fatal for Kafka Streams:
            // the instance stops and its supervisor starts it again). Either way it was stopped from committing.
            String zombieLog = Files.readString(first.log());
            assertThat(zombieLog.contains("Detected that the thread is being fenced")
                    || zombieLog.contains("InvalidTxnStateException") && first.starts() > 1)
                    .as("the thawed instance was fenced, or its commit refused and it was started again")
                    .isTrue();
        }
    }

    @Test
    @Order(4)
    void clickHouseAwaySixtySecondsAndTheSinkCrashedBetweenInsertAndCommit(LocalStack stack, TestNames names,
                                                                           @TempDir Path dir) throws Exception {
        Workload workload = Workload.generate(4, events(60_000), Instant.now());
        long t0 = System.nanoTime();
        try (FaultRun run = new FaultRun(stack, names, dir, 4)) {
            run.startPipeline(workload, run.app(Map.of()));
            FaultRun.Production production = run.produce(workload, rate(800));
            production.awaitSent(workload.distinct() / 5);
            run.crashSinkAfterNextInsert();
            production.awaitSent(workload.distinct() * 2 / 5);
            try {
                stack.clickHouse().stop();
                log("ClickHouse stopped at %,d events sent; back in 60 s",
                        production.sent.get());
                holdFault(Duration.ofSeconds(60), "ClickHouse stays away while events flow");
            } finally {
                stack.clickHouse().restart();
            }
            run.crashSinkAfterNextInsert();
            production.awaitDone(Duration.ofMinutes(10));
            check("ClickHouse away 60 s; the sink crashed between insert and commit x2", workload, production, run,
                    t0);
            assertThat(run.sinkStarts()).as("the sink was started again after each crash").isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    @Order(5)
    void sidecarKilledRightAfterAcknowledgingThreeTimes(LocalStack stack, TestNames names, @TempDir Path dir)
            throws Exception {
        Workload workload = Workload.generate(5, events(30_000), Instant.now());
        long t0 = System.nanoTime();
        try (FaultRun run = new FaultRun(stack, names, dir, 4);
             SidecarProduction gateway = new SidecarProduction(dir.resolve("sidecar"), stack.kafkaBootstrapServers(),
                     stack.schemaRegistryUrl(), run.topics.usage(), run.topics.throttle())) {
            run.startPipeline(workload, run.app(Map.of()));
            gateway.startSidecar().send(workload, rate(600));
            for (int kill = 1; kill <= 3; kill++) {
                gateway.awaitSent(workload.distinct() * kill / 4);
                gateway.killAfterNextAccepted();
                log("sidecar to be killed -9 right after its next 202 (%d of 3) at %,d events accepted", kill,
                        gateway.sent.get());
            }
            gateway.awaitDone(Duration.ofMinutes(10));
            assertThat(gateway.kills.get()).as("kills right after a 202").isEqualTo(3);
            check("sidecar kill -9 right after a 202 x3, restarted on its spool", workload, gateway.posted.get(),
                    "gateway batches sent again " + gateway.retried.get(), run, t0);
        }
    }

    /** Reads what every part holds, adds the scenario's row to the report, and asserts nothing lost or doubled. */
    private static void check(String fault, Workload workload, FaultRun.Production production, FaultRun run,
                              long t0) throws Exception {
        check(fault, workload, production.records.get(), "producer resent " + production.resent.get(), run, t0);
    }

    private static void check(String fault, Workload workload, long records, String producerSide, FaultRun run,
                              long t0) throws Exception {
        FaultRun.Holdings h = run.settle(workload, Duration.ofMinutes(SOAK ? 15 : 6));
        long distinct = workload.distinct();
        long lost = Math.max(0, Math.max(distinct - h.inState(), distinct - h.inClickHouse()));
        long duplicated = Math.max(0, Math.max(h.inState() - distinct, h.clickHouseRows() - distinct));
        List<String> wrongDecisions = new ArrayList<>();
        int budgeted = workload.budgets.size();
        for (var budget : workload.budgets) {
            String scope = budget.getScope();
            ThrottleAction expected = workload.finalActions.get(scope);
            List<ThrottleAction> seen = h.decisions().getOrDefault(scope, List.of());
            boolean escalating = true;
            for (int i = 1; i < seen.size(); i++) {
                escalating &= seen.get(i).ordinal() > seen.get(i - 1).ordinal();
            }
            boolean ends = expected == null ? seen.isEmpty() : !seen.isEmpty() && seen.getLast() == expected;
            if (!ends || !escalating) {
                wrongDecisions.add(scope + ": decisions " + seen + ", expected "
                        + (expected == null ? "none" : "steps up to " + expected + ", none repeated"));
            }
        }
        h.decisions().keySet().stream().filter(scope -> workload.budgets.stream()
                        .noneMatch(b -> b.getScope().equals(scope)))
                .forEach(scope -> wrongDecisions.add(scope + " has decisions but no budget"));
        String row = String.format("| %s | %,d | %,d | %,d | %,d (%,d rows) | %,d | %,d | %d of %d | %d s |", fault,
                distinct, records, h.inState(), h.inClickHouse(), h.clickHouseRows(), lost,
                duplicated, Math.max(0, budgeted - wrongDecisions.size()), budgeted,
                (System.nanoTime() - t0) / 1_000_000_000L);
        ROWS.add(row);
        log("%s", row);
        log("%d scopes checked, %d wrong; decisions %s; ClickHouse cost %d of %d nano-USD; "
                        + "unplanned app restarts %d; sink starts %d, insert retries %d; %s; broker skipped "
                        + "transaction markers %d times; hanging transactions aborted %s",
                workload.expected.size(), h.wrongScopes().size(), h.decisions(), h.clickHouseCost(),
                workload.totalCostNanos, run.unplannedRestarts(), run.sinkStarts(), run.sinkRetries(),
                producerSide, run.markerSkipsByBroker(),
                run.abortedTransactions().isEmpty() ? "none" : run.abortedTransactions());

        assertThat(h.wrongScopes()).as("scopes whose total in the app's state differs from the distinct events")
                .isEmpty();
        assertThat(h.inState()).as("distinct events counted in the app's global scope").isEqualTo(distinct);
        assertThat(h.inClickHouse()).as("distinct event ids in ClickHouse").isEqualTo(distinct);
        assertThat(h.clickHouseRows()).as("rows in ClickHouse (no replayed batch inserted twice)").isEqualTo(distinct);
        assertThat(h.clickHouseCost()).as("ClickHouse's total cost").isEqualTo(workload.totalCostNanos);
        assertThat(wrongDecisions).as("throttle decisions").isEmpty();
    }

    @AfterAll
    static void writeReport() throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "| fault injected | distinct events produced | records sent (replays, resends) | counted in state "
                        + "(global scope) | in ClickHouse (distinct ids) | lost | duplicated | budgeted scopes "
                        + "with the right decisions | took |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|"));
        lines.addAll(ROWS);
        Path report = Path.of("target", "fault-report.md");
        Files.createDirectories(report.getParent());
        Files.write(report, lines);
        System.out.println("[faults] " + String.join(System.lineSeparator() + "[faults] ", lines));
    }
}
