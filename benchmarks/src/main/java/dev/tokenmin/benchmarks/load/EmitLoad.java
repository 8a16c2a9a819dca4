package dev.tokenmin.benchmarks.load;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.ingest.emit.Emission;
import dev.tokenmin.ingest.emit.EmitterConfig;
import dev.tokenmin.ingest.emit.UsageEmitter;
import dev.tokenmin.localstack.Folders;
import dev.tokenmin.localstack.LocalStack;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What {@code UsageEmitter.emit()} costs the gateway's request thread: emits at fixed rates from one thread
 * (paced by spinning, so the pacing does not add sleep overshoot), times each call with HdrHistogram, and checks
 * that Kafka acknowledged everything. The drainer, the broker and the registry run on the same two cores.
 */
@Command(name = "emit", mixinStandardHelpOptions = true, description = "emit() latency at fixed rates.")
final class EmitLoad implements Callable<Integer> {

    @Option(names = "--rates", split = ",", defaultValue = "5000,20000,50000",
            description = "Events per second, one run each (default: ${DEFAULT-VALUE}).")
    private List<Integer> rates;

    @Option(names = "--seconds", defaultValue = "20", description = "Measured seconds per rate (default: ${DEFAULT-VALUE}).")
    private int seconds;

    @Option(names = "--warmup-seconds", defaultValue = "5", description = "Unmeasured seconds first (default: ${DEFAULT-VALUE}).")
    private int warmupSeconds;

    @Option(names = "--durability", defaultValue = "batched",
            description = "Spool fsync policy: batched or every_record (default: ${DEFAULT-VALUE}).")
    private String durability;

    @Option(names = "--fsync-max-delay-ms", defaultValue = "5",
            description = "With batched durability, the longest an event waits for its fsync (default: ${DEFAULT-VALUE}).")
    private int fsyncMaxDelayMs;

    @Option(names = "--without-kafka", description = "Point the emitter at a closed port instead of the local stack: "
            + "events stay in the spool, and nothing else competes for the cores (to tell the SDK's own cost from "
            + "the co-located services').")
    private boolean withoutKafka;

    @Override
    public Integer call() throws Exception {
        Path spool = Files.createTempDirectory("tokenmin-emit-spool");
        try (LocalStack stack = withoutKafka ? null : Harness.startStack()) {
            String bootstrap = "127.0.0.1:" + Harness.closedPort();
            String registry = "http://" + bootstrap;
            if (stack != null) {
                Harness.createTopic(stack, "load.usage", 3);
                bootstrap = stack.kafkaBootstrapServers();
                registry = stack.schemaRegistryUrl();
            }
            EmitterConfig config = EmitterConfig.fromProperties(Map.of(
                    EmitterConfig.BOOTSTRAP_SERVERS, bootstrap,
                    EmitterConfig.SCHEMA_REGISTRY_URL, registry,
                    EmitterConfig.TOPIC, "load.usage",
                    EmitterConfig.SPOOL_DIR, spool.toString(),
                    EmitterConfig.SPOOL_DURABILITY, durability,
                    EmitterConfig.SPOOL_FSYNC_MAX_DELAY_MS, Integer.toString(fsyncMaxDelayMs),
                    EmitterConfig.SHUTDOWN_DRAIN_MS, "1000"));
            SplittableRandom random = new SplittableRandom(42);
            try (UsageEmitter emitter = UsageEmitter.start(config)) {
                System.out.printf("emit(): spool %s durability, fsync max delay %d ms, one calling thread, %s%n",
                        config.spool().durability(), config.spool().fsyncMaxDelay().toMillis(),
                        stack == null ? "no Kafka (events stay spooled)" : "draining to the local stack's Kafka");
                for (int rate : rates) {
                    run(emitter, random, rate, warmupSeconds, false, stack != null);
                    run(emitter, random, rate, seconds, true, stack != null);
                }
            }
        } finally {
            Folders.deleteQuietly(spool);
        }
        return 0;
    }

    private static long sink;

    /** A loop count that takes about {@code nanos} on this machine. */
    private static int calibrate(long nanos) {
        int n = 1_000;
        for (int round = 0; round < 20; round++) {
            long t0 = System.nanoTime();
            sink += spin(n);
            long took = Math.max(1, System.nanoTime() - t0);
            n = (int) Math.max(1, Math.min(10_000_000, n * nanos / took));
        }
        return n;
    }

    private static long spin(int n) {
        long x = 17;
        for (int i = 0; i < n; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
        }
        return x;
    }

    private static void run(UsageEmitter emitter, SplittableRandom random, int rate, int seconds, boolean report,
                            boolean drains) throws InterruptedException {
        long interval = 1_000_000_000L / rate;
        long calls = (long) rate * seconds;
        Latencies latencies = new Latencies();
        Latencies baseline = new Latencies();
        // Completed on the spool's and the producer's threads: recordSince is safe from any thread.
        Latencies toDurable = new Latencies();
        Latencies toAcknowledged = new Latencies();
        int work = calibrate(3_000);
        AtomicLong peakPending = new AtomicLong();
        Thread sampler = Thread.ofVirtual().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peakPending.accumulateAndGet(emitter.metrics().pendingBytes(), Math::max);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        long sentBefore = emitter.metrics().sent();
        long start = System.nanoTime();
        for (long i = 0; i < calls; i++) {
            long due = start + i * interval;
            while (System.nanoTime() < due) {
                Thread.onSpinWait();
            }
            UsageEvent event = Events.event(random);
            long t0 = System.nanoTime();
            Emission emission = emitter.emit(event);
            long t1 = System.nanoTime();
            latencies.record(t1 - t0);
            emission.durable().thenRun(() -> toDurable.recordSince(t0));
            if (drains) {
                emission.acknowledged().thenRun(() -> toAcknowledged.recordSince(t0));
            }
            // The machine's floor, measured in the same conditions: about 3 µs of plain arithmetic.
            sink += spin(work);
            baseline.record(System.nanoTime() - t1);
        }
        long elapsed = System.nanoTime() - start;
        long target = sentBefore + calls;
        long drainStart = System.nanoTime();
        while (drains && emitter.metrics().sent() < target && System.nanoTime() - drainStart < 120_000_000_000L) {
            Thread.sleep(5);
        }
        long drained = System.nanoTime() - drainStart;
        sampler.interrupt();
        if (report) {
            String kafka = !drains ? "no Kafka"
                    : emitter.metrics().sent() >= target ? "Kafka acknowledged all within " + drained / 1_000_000
                    + " ms of the last call" : "Kafka acknowledged NOT all (" + (emitter.metrics().sent() - sentBefore) + ")";
            System.out.printf("emit() at %,d/s for %d s: %,d calls (%,.0f/s achieved); %s; %s; spool peak %,d bytes "
                    + "pending%n", rate, seconds, calls, calls / (elapsed / 1e9), latencies.summary(), kafka,
                    peakPending.get());
            System.out.printf("  baseline at the same pace, ~3 µs of arithmetic instead of emit(): %s%n",
                    baseline.summary());
            System.out.printf("  emit() -> on disk (fsynced): %s%n", toDurable.summary());
            if (drains) {
                System.out.printf("  emit() -> Kafka acknowledged: %s%n", toAcknowledged.summary());
            }
            long p99 = latencies.percentile(99);
            Results.record(String.format("SDK emit() p99 at %,d/s", rate), "≤ 50 µs", Latencies.format(p99),
                    p99 <= 50_000);
        }
    }
}
