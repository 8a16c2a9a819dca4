package dev.tokenmin.pipeline.simulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenmin.pipeline.simulator.RoutingService.Called;
import dev.tokenmin.pipeline.simulator.RoutingService.Outcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One simulated gateway and the routing service in front of it: for each task it asks the sidecar for the
 * decisions in force, routes (or refuses) the task, and reports the call's usage to the sidecar in batches (at most
 * {@value #BATCH} events or {@value #LINGER_MS} ms, as a gateway flushing its buffer would).
 */
final class Gateway implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int BATCH = 200;
    static final long LINGER_MS = 100;
    private static final Task END = new Task(null, null, null, null, null, null, null, null, null, null, 0, 0, 0, 0,
            false);

    private final String id;
    private final String token;
    private final SidecarClient sidecar;
    private final RoutingService routing;
    private final SimCounts counts;
    private final BlockingQueue<Task> queue = new ArrayBlockingQueue<>(20_000);
    private final List<Called> batch = new ArrayList<>();
    private volatile Throwable failure;
    private long batchStarted;

    Gateway(String id, String token, SidecarClient sidecar, RoutingService routing, SimCounts counts) {
        this.id = id;
        this.token = token;
        this.sidecar = sidecar;
        this.routing = routing;
        this.counts = counts;
    }

    String id() {
        return id;
    }

    /** Hands a task over; waits while the gateway is {@code 20,000} tasks behind. */
    void offer(Task task) throws InterruptedException {
        queue.put(task);
    }

    /** No more tasks: the gateway finishes those it has, flushes its batch and stops. */
    void finish() throws InterruptedException {
        queue.put(END);
    }

    /** Why the gateway stopped early, or null. */
    Throwable failure() {
        return failure;
    }

    @Override
    public void run() {
        try {
            while (true) {
                Task task = queue.poll(LINGER_MS, TimeUnit.MILLISECONDS);
                if (task == END) {
                    flush();
                    return;
                }
                if (task != null) {
                    Outcome outcome = routing.route(task, sidecar.decisions(token, task));
                    counts.routed(outcome);
                    if (outcome instanceof Called c) {
                        if (batch.isEmpty()) {
                            batchStarted = System.nanoTime();
                        }
                        batch.add(c);
                    }
                }
                if (batch.size() >= BATCH || !batch.isEmpty()
                        && System.nanoTime() - batchStarted >= TimeUnit.MILLISECONDS.toNanos(LINGER_MS)) {
                    flush();
                }
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
            LOG.error("gateway {} stopped: {}", id, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void flush() throws IOException, InterruptedException {
        if (batch.isEmpty()) {
            return;
        }
        ArrayNode events = JSON.createArrayNode();
        for (Called c : batch) {
            events.add(event(c));
        }
        sidecar.postUsage(token, events);
        batch.forEach(counts::acknowledged);
        batch.clear();
    }

    /** The usage event as a gateway reports it: canonical fields, never prompt or completion text. */
    static ObjectNode event(Called c) {
        Task t = c.task();
        ObjectNode e = JSON.createObjectNode().put("event_id", t.eventId().toString())
                .put("occurred_at", t.at().toEpochMilli()).put("request_id", "req-" + t.eventId().toString()
                        .substring(0, 8)).put("customer_id", t.customer()).put("user_id", t.user())
                .put("feature", t.feature().name()).put("team", t.feature().team());
        if (t.sessionId() != null) {
            e.put("session_id", t.sessionId());
        }
        if (t.agentRunId() != null) {
            e.put("agent_run_id", t.agentRunId());
        }
        e.put("provider", c.model().provider()).put("model", c.model().name())
                .put("requested_model", t.feature().requested().name()).put("model_tier", c.tier().label())
                .put("intent", t.feature().intent()).put("complexity", t.complexity().label())
                .put("input_tokens", c.inputTokens()).put("cached_input_tokens", c.cachedInputTokens())
                .put("cache_write_tokens", c.cacheWriteTokens()).put("output_tokens", c.outputTokens())
                .put("latency_ms", t.latencyMs()).put("status", t.failed() ? "ERROR" : "OK");
        e.putObject("labels").put("env", "simulation");
        return e;
    }
}
