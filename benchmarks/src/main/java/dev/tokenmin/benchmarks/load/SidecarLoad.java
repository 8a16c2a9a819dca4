package dev.tokenmin.benchmarks.load;

import dev.tokenmin.ingest.sidecar.SidecarConfig;
import dev.tokenmin.ingest.sidecar.SidecarServer;
import dev.tokenmin.localstack.Folders;
import dev.tokenmin.localstack.LocalStack;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sidecar throughput on loopback: closed-loop clients POST batches of canonical JSON events to a sidecar in this
 * JVM (batched fsync), each waiting for its 202 before the next; prints accepted events per second, request
 * latency, and whether Kafka kept up. Clients, sidecar, drainer and broker share the machine's cores.
 */
@Command(name = "sidecar", mixinStandardHelpOptions = true, description = "Sidecar events/s with batched POSTs.")
final class SidecarLoad implements Callable<Integer> {

    private static final String TOKEN = "load-token-0123456789abcdefghijkl";

    @Option(names = "--batch", defaultValue = "100", description = "Events per request (default: ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--clients", defaultValue = "8", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    private int clients;

    @Option(names = "--seconds", defaultValue = "30", description = "Measured seconds (default: ${DEFAULT-VALUE}).")
    private int seconds;

    @Option(names = "--warmup-seconds", defaultValue = "10", description = "Unmeasured seconds first (default: ${DEFAULT-VALUE}).")
    private int warmupSeconds;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("tokenmin-sidecar-load");
        try (LocalStack stack = Harness.startStack()) {
            Harness.createTopic(stack, "load.usage", 3);
            Path tokens = dir.resolve("tokens.properties");
            Files.writeString(tokens, "gw-load=" + TOKEN + "\n");
            Map<String, String> props = new HashMap<>();
            props.put("bootstrap.servers", stack.kafkaBootstrapServers());
            props.put("schema.registry.url", stack.schemaRegistryUrl());
            props.put("topic", "load.usage");
            props.put("spool.dir", dir.resolve("spool").toString());
            props.put("sidecar.port", "0");
            props.put("sidecar.tokens.file", tokens.toString());
            props.put("sidecar.max.batch.events", Integer.toString(Math.max(batch, 1_000)));
            try (SidecarServer sidecar = SidecarServer.start(SidecarConfig.fromProperties(props))) {
                List<String> bodies = bodies(64);
                System.out.printf("sidecar load: %d clients, batches of %d events (%,d bytes each), %d s warm-up, "
                        + "%d s measured%n", clients, batch, bodies.getFirst().length(), warmupSeconds, seconds);
                measure(sidecar, bodies, warmupSeconds, false);
                measure(sidecar, bodies, seconds, true);
            }
        } finally {
            Folders.deleteQuietly(dir);
        }
        return 0;
    }

    private List<String> bodies(int count) {
        SplittableRandom random = new SplittableRandom(7);
        List<String> bodies = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            StringBuilder json = new StringBuilder("[");
            for (int i = 0; i < batch; i++) {
                json.append(i == 0 ? "" : ",").append(Events.json(Events.event(random)));
            }
            bodies.add(json.append(']').toString());
        }
        return bodies;
    }

    private void measure(SidecarServer sidecar, List<String> bodies, int seconds, boolean report)
            throws InterruptedException {
        URI uri = sidecar.uri().resolve("/v1/usage");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong accepted = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        Latencies all = new Latencies();
        long sentBefore = sidecar.emitter().metrics().sent();
        long spooledBefore = sidecar.emitter().metrics().spooled();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int offset = c;
            threads.add(Thread.ofPlatform().name("load-client-" + c).start(() -> {
                Latencies mine = new Latencies();
                int n = offset;
                while (!stop.get()) {
                    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                            .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(bodies.get(n++ % bodies.size()))).build();
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<Void> r = http.send(request, HttpResponse.BodyHandlers.discarding());
                        mine.record(System.nanoTime() - t0);
                        if (r.statusCode() == 202) {
                            accepted.addAndGet(batch);
                        } else {
                            refused.incrementAndGet();
                        }
                    } catch (Exception e) {
                        refused.incrementAndGet();
                    }
                }
                all.add(mine);
            }));
        }
        long start = System.nanoTime();
        Thread.sleep(seconds * 1_000L);
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long sent = sidecar.emitter().metrics().sent() - sentBefore;
        long spooled = sidecar.emitter().metrics().spooled() - spooledBefore;
        long drainStart = System.nanoTime();
        while (sidecar.emitter().metrics().sent() < sidecar.emitter().metrics().spooled()
                && System.nanoTime() - drainStart < 120_000_000_000L) {
            Thread.sleep(10);
        }
        if (report) {
            System.out.printf("sidecar: %,.0f events/s accepted (%,.0f requests/s of %d events), %d refused; "
                            + "request %s; Kafka acknowledged %,.0f events/s during the run (%,d of %,d spooled), "
                            + "the rest within %d ms%n", accepted.get() / elapsed, all.count() / elapsed, batch,
                    refused.get(), all.summary(), sent / elapsed, sent, spooled,
                    (System.nanoTime() - drainStart) / 1_000_000);
            double rate = accepted.get() / elapsed;
            Results.record(String.format("sidecar, batches of %d, %d clients", batch, clients), "≥ 20,000 events/s",
                    String.format("%,.0f events/s", rate), rate >= 20_000);
        }
    }
}
