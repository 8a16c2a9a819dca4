package dev.tokenmin.faults;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.ingest.sidecar.SidecarMain;
import dev.tokenmin.localstack.process.ChildProcess;
import dev.tokenmin.localstack.process.FreePorts;
import dev.tokenmin.localstack.process.Probes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A workload sent the way a gateway does through the sidecar: the sidecar as a child JVM ({@code tokenmin sidecar},
 * its spool on disk), batches of 20 events posted as JSON at a steady rate, a batch not answered 202 sent again with
 * the same event ids until it is. {@link #killAfterNextAccepted()} kills the sidecar ({@code kill -9}) the moment
 * it has answered a 202, and starts it again on the same spool: what it accepted must still reach Kafka.
 */
final class SidecarProduction implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "fault-suite-token-0123456789abcdefghij";
    private static final int BATCH = 20;

    private final Path home;
    private final Path config;
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private volatile ChildProcess sidecar;
    private final AtomicInteger killsPending = new AtomicInteger();
    final AtomicInteger kills = new AtomicInteger();
    final AtomicLong sent = new AtomicLong();
    /** Events posted, retries and the gateway's repeats included. */
    final AtomicLong posted = new AtomicLong();
    final AtomicLong retried = new AtomicLong();
    private volatile Throwable error;
    private Thread thread;

    SidecarProduction(Path home, String bootstrap, String registryUrl, String usageTopic, String throttleTopic) {
        this.home = home;
        int port = FreePorts.pick();
        this.base = URI.create("http://127.0.0.1:" + port);
        this.config = home.resolve("sidecar.properties");
        try {
            Files.createDirectories(home);
            Path tokens = home.resolve("tokens.properties");
            Files.writeString(tokens, "gw-faults=" + TOKEN + "\n");
            Properties p = new Properties();
            p.putAll(Map.of("bootstrap.servers", bootstrap, "schema.registry.url", registryUrl,
                    "topic", usageTopic, "throttle.topic", throttleTopic,
                    "spool.dir", home.resolve("spool").toString(), "sidecar.port", Integer.toString(port),
                    "sidecar.tokens.file", tokens.toString()));
            try (Writer w = Files.newBufferedWriter(config)) {
                p.store(w, "fault suite sidecar");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the sidecar (again, on the same spool and port) and waits until it answers. */
    SidecarProduction startSidecar() {
        ChildProcess process = ChildProcess.startJava("sidecar", List.of("-Xmx256m", "-XX:+UseSerialGC",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                SidecarMain.class.getName(), "--config", config.toString()), home, home.resolve("sidecar.log"),
                Map.of());
        process.awaitReady(Duration.ofSeconds(60), () -> Probes.answers200(base + "/healthz"));
        sidecar = process;
        return this;
    }

    /** Posts {@code workload} at {@code ratePerSecond} on a thread of its own, one in 50 batches sent twice. */
    SidecarProduction send(Workload workload, int ratePerSecond) {
        thread = Thread.ofPlatform().name("fault-gateway").start(() -> {
            try {
                List<UsageEvent> events = workload.events;
                long start = System.nanoTime();
                for (int from = 0; from < events.size(); from += BATCH) {
                    long due = start + (long) (from * 1e9 / ratePerSecond);
                    long wait = due - System.nanoTime();
                    if (wait > 1_000_000) {
                        Thread.sleep(wait / 1_000_000);
                    }
                    List<UsageEvent> batch = events.subList(from, Math.min(events.size(), from + BATCH));
                    String body = body(batch);
                    postUntilAccepted(body, batch.size());
                    if ((from / BATCH) % 50 == 49) {
                        postUntilAccepted(body, batch.size()); // a gateway's retry of a batch in fact accepted
                    }
                    sent.set(Math.min(events.size(), from + BATCH));
                }
            } catch (Throwable e) {
                error = e;
            }
        });
        return this;
    }

    /** The sidecar is killed right after the next 202 it sends, then started again. */
    void killAfterNextAccepted() {
        killsPending.incrementAndGet();
    }

    private void postUntilAccepted(String body, int events) throws InterruptedException {
        while (true) {
            posted.addAndGet(events);
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/usage"))
                        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + TOKEN)
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 202) {
                    if (killsPending.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        sidecar.kill(); // kill -9 the moment it has acknowledged
                        kills.incrementAndGet();
                        startSidecar();
                    }
                    return;
                }
                if (r.statusCode() == 400 || r.statusCode() == 401) {
                    throw new IllegalStateException("the sidecar refused a batch: " + r.statusCode() + " " + r.body());
                }
            } catch (IOException e) {
                // not answered: not accepted; send it again
            }
            retried.incrementAndGet();
            Thread.sleep(200);
            if (!sidecar.isAlive()) {
                startSidecar();
            }
        }
    }

    private static String body(List<UsageEvent> batch) {
        ArrayNode array = JSON.createArrayNode();
        for (UsageEvent e : batch) {
            ObjectNode o = array.addObject();
            o.put("event_id", e.getEventId().toString());
            o.put("occurred_at", e.getOccurredAt().toString());
            o.put("customer_id", e.getCustomerId());
            o.put("user_id", e.getUserId());
            o.put("feature", e.getFeature());
            o.put("team", e.getTeam());
            o.put("session_id", e.getSessionId());
            o.put("provider", e.getProvider());
            o.put("model", e.getModel());
            o.put("input_tokens", e.getInputTokens());
            o.put("cached_input_tokens", e.getCachedInputTokens());
            o.put("cache_write_tokens", e.getCacheWriteTokens());
            o.put("output_tokens", e.getOutputTokens());
            o.put("reasoning_tokens", e.getReasoningTokens());
        }
        return array.toString();
    }

    /** Waits until every batch was accepted; fails if the gateway side failed. */
    void awaitDone(Duration within) throws InterruptedException {
        thread.join(within.toMillis());
        if (thread.isAlive()) {
            throw new IllegalStateException("the gateway did not finish within " + within + ": " + sent.get()
                    + " events accepted");
        }
        if (error != null) {
            throw new IllegalStateException("the gateway failed", error);
        }
    }

    /** Waits until {@code n} events were accepted. */
    void awaitSent(long n) throws InterruptedException {
        while (sent.get() < n && thread.isAlive()) {
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        if (sidecar != null) {
            sidecar.close(); // a clean stop: it drains its spool to Kafka first
        }
    }
}
