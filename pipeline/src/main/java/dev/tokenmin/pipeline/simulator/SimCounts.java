package dev.tokenmin.pipeline.simulator;

import dev.tokenmin.pipeline.simulator.RoutingService.Called;
import dev.tokenmin.pipeline.simulator.RoutingService.Outcome;
import dev.tokenmin.pipeline.simulator.Task.Actor;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The simulator's own count of what it offered and what became of it: the figure tokenmin's totals are checked
 * against. Events count as sent once the sidecar has acknowledged them (202: durable in its spool).
 */
public final class SimCounts {

    /** Requests and tokens of the events of one customer and feature the sidecar acknowledged. */
    public record Ledger(long requests, long inputTokens, long cachedInputTokens, long cacheWriteTokens,
                         long outputTokens) {

        Ledger plus(Called c) {
            return new Ledger(requests + 1, inputTokens + c.inputTokens(), cachedInputTokens + c.cachedInputTokens(),
                    cacheWriteTokens + c.cacheWriteTokens(), outputTokens + c.outputTokens());
        }

        public long totalTokens() {
            return inputTokens + cachedInputTokens + cacheWriteTokens + outputTokens;
        }
    }

    /** What happened to one actor's tasks. */
    public static final class ActorCounts {
        final AtomicLong sent = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong downgraded = new AtomicLong();
        final AtomicLong trimmed = new AtomicLong();
        final AtomicReference<Instant> firstRefused = new AtomicReference<>();
        final AtomicReference<Instant> lastSent = new AtomicReference<>();

        public long sent() {
            return sent.get();
        }

        public long refused() {
            return refused.get();
        }

        public long downgraded() {
            return downgraded.get();
        }

        public long trimmed() {
            return trimmed.get();
        }

        /** Simulated time of the first refused task, or null. */
        public Instant firstRefused() {
            return firstRefused.get();
        }

        /** Simulated time of the last task sent, or null. */
        public Instant lastSent() {
            return lastSent.get();
        }
    }

    private final AtomicLong offered = new AtomicLong();
    private final Map<Actor, ActorCounts> actors = new EnumMap<>(Actor.class);
    private final Map<String, Ledger> ledgers = new ConcurrentHashMap<>();

    public SimCounts() {
        for (Actor a : Actor.values()) {
            actors.put(a, new ActorCounts());
        }
    }

    void countOffered() {
        offered.incrementAndGet();
    }

    /** Records what routing decided; a call counts as sent only once {@link #acknowledged} says so. */
    void routed(Outcome outcome) {
        ActorCounts a = actors.get(outcome.task().actor());
        switch (outcome) {
            case RoutingService.Refused r -> {
                a.refused.incrementAndGet();
                a.firstRefused.compareAndSet(null, r.task().at());
            }
            case Called c -> {
                if (c.downgraded()) {
                    a.downgraded.incrementAndGet();
                }
                if (c.trimmed()) {
                    a.trimmed.incrementAndGet();
                }
            }
        }
    }

    /** The sidecar acknowledged this call's event. */
    void acknowledged(Called c) {
        ActorCounts a = actors.get(c.task().actor());
        a.sent.incrementAndGet();
        a.lastSent.accumulateAndGet(c.task().at(), (x, y) -> x == null || y.isAfter(x) ? y : x);
        ledgers.merge(c.task().customer() + "|" + c.task().feature().name(), new Ledger(0, 0, 0, 0, 0).plus(c),
                (x, y) -> new Ledger(x.requests + y.requests, x.inputTokens + y.inputTokens,
                        x.cachedInputTokens + y.cachedInputTokens, x.cacheWriteTokens + y.cacheWriteTokens,
                        x.outputTokens + y.outputTokens));
    }

    public long offered() {
        return offered.get();
    }

    public ActorCounts actor(Actor a) {
        return actors.get(a);
    }

    public long sent() {
        return actors.values().stream().mapToLong(ActorCounts::sent).sum();
    }

    public long refused() {
        return actors.values().stream().mapToLong(ActorCounts::refused).sum();
    }

    public long downgraded() {
        return actors.values().stream().mapToLong(ActorCounts::downgraded).sum();
    }

    public long trimmed() {
        return actors.values().stream().mapToLong(ActorCounts::trimmed).sum();
    }

    /** Acknowledged events by {@code customer|feature}, sorted. */
    public Map<String, Ledger> ledgers() {
        return new TreeMap<>(ledgers);
    }
}
