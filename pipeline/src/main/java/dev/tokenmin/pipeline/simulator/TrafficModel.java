package dev.tokenmin.pipeline.simulator;

import dev.tokenmin.pipeline.simulator.RoutingTable.Complexity;
import dev.tokenmin.pipeline.simulator.Task.Actor;
import dev.tokenmin.pipeline.simulator.World.Customer;
import dev.tokenmin.pipeline.simulator.World.Feature;
import dev.tokenmin.pipeline.simulator.World.Style;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * The offered traffic, in simulated-time order, drawn from a seed: the same seed, span and rate give the same
 * tasks with the same event ids, whatever happens to them afterwards.
 * <p>
 * Background tasks start as a Poisson process over customers (by weight), their users and the features (by
 * weight); a chat is a session of 2–8 turns whose history grows and is served from the prompt cache, an agent run
 * is 3–12 steps whose context grows by each tool result. Prompt and answer sizes vary log-normally around each
 * feature's mean. The scenario's heavy user and runaway agent are sources of their own; the inflated feature's
 * prompts are multiplied while the inflation lasts.
 */
public final class TrafficModel {

    private static final long CONTEXT_WINDOW = 200_000;

    private final World world;
    private final Scenario scenario;
    private final Instant start;
    private final Instant end;
    private final PriorityQueue<Source> queue = new PriorityQueue<>();
    private long order;

    /**
     * @param callsPerHour background model calls per simulated hour (the scenario's actors come on top)
     */
    public TrafficModel(World world, Scenario scenario, Instant start, Instant end, double callsPerHour, long seed) {
        this.world = world;
        this.scenario = scenario;
        this.start = start;
        this.end = end;
        SplittableRandom root = new SplittableRandom(seed);
        double callsPerTask = callsPerTask(world);
        add(new BackgroundStarts(root.split(), callsPerHour / callsPerTask), start);
        add(new HeavyUser(root.split()), start.plus(scenario.heavyFrom()));
        add(new RunawayAgent(root.split()), start.plus(scenario.runawayFrom()));
    }

    /** The next task, or null once the span is over. */
    public Task next() {
        while (!queue.isEmpty()) {
            Source s = queue.poll();
            if (s.next.isAfter(end)) {
                continue;
            }
            Task t = s.emit();
            if (s.next != null) {
                s.order = order++;
                queue.add(s);
            }
            if (t != null) {
                return t;
            }
        }
        return null;
    }

    private void add(Source s, Instant at) {
        s.next = at;
        s.order = order++;
        queue.add(s);
    }

    /** Mean model calls per background task, weighted by feature. */
    static double callsPerTask(World world) {
        double calls = 0;
        double weights = 0;
        for (Feature f : world.features()) {
            double perTask = switch (f.style()) {
                case SINGLE -> 1;
                case CHAT -> CHAT_SESSION.meanCalls();
                case AGENT -> AGENT_SESSION.meanCalls();
            };
            calls += f.weight() * perTask;
            weights += f.weight();
        }
        return calls / weights;
    }

    /** Something that emits tasks at times of its own; ordered by its next time, then by when it was queued. */
    private abstract static class Source implements Comparable<Source> {
        final SplittableRandom random;
        Instant next;
        long order;

        Source(SplittableRandom random) {
            this.random = random;
        }

        /** The task at {@link #next} (or null), setting {@link #next} to the following one (null: done). */
        abstract Task emit();

        @Override
        public int compareTo(Source o) {
            int c = next.compareTo(o.next);
            return c != 0 ? c : Long.compare(order, o.order);
        }

        UUID uuid() {
            long hi = (random.nextLong() & ~0xF000L) | 0x4000L;
            long lo = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
            return new UUID(hi, lo);
        }

        long around(double mean) {
            return Math.max(1, Math.round(mean * Math.exp(0.35 * random.nextGaussian() - 0.06)));
        }

        Duration between(int minSeconds, int maxSeconds) {
            return Duration.ofMillis(random.nextLong(minSeconds * 1_000L, maxSeconds * 1_000L + 1));
        }

        long latency(long output) {
            return 250 + output * 12 + random.nextLong(400);
        }

        boolean fails() {
            return random.nextInt(200) == 0;
        }
    }

    private final class BackgroundStarts extends Source {
        private final double meanGapMillis;
        private final int customerWeights;
        private final int featureWeights;

        BackgroundStarts(SplittableRandom random, double tasksPerHour) {
            super(random);
            this.meanGapMillis = 3_600_000.0 / tasksPerHour;
            this.customerWeights = world.customers().stream().mapToInt(Customer::weight).sum();
            this.featureWeights = world.features().stream().mapToInt(Feature::weight).sum();
        }

        @Override
        Task emit() {
            Instant at = next;
            next = at.plusMillis(Math.max(1, Math.round(random.nextExponential() * meanGapMillis)));
            Customer c = pickCustomer();
            Feature f = pickFeature();
            String user = c.users().get(random.nextInt(c.users().size()));
            Complexity complexity = pickComplexity(f);
            switch (f.style()) {
                case CHAT -> {
                    add(new Session(CHAT_SESSION, random.split(), c, user, f, complexity), at);
                    return null;
                }
                case AGENT -> {
                    add(new Session(AGENT_SESSION, random.split(), c, user, f, complexity), at);
                    return null;
                }
                default -> {
                    long prompt = around(f.promptTokens()) * inflation(f, at);
                    long output = around(f.outputTokens());
                    long cached = f.name().equals("code-assist") ? prompt * 6 / 10 : 0;
                    return new Task(at, uuid(), Actor.BACKGROUND, c.gateway(), c.id(), user, f, null, null,
                            complexity, prompt, cached, output, latency(output), fails());
                }
            }
        }

        private Customer pickCustomer() {
            int r = random.nextInt(customerWeights);
            for (Customer c : world.customers()) {
                r -= c.weight();
                if (r < 0) {
                    return c;
                }
            }
            throw new IllegalStateException("weights");
        }

        private Feature pickFeature() {
            int r = random.nextInt(featureWeights);
            for (Feature f : world.features()) {
                r -= f.weight();
                if (r < 0) {
                    return f;
                }
            }
            throw new IllegalStateException("weights");
        }

        private Complexity pickComplexity(Feature f) {
            int r = random.nextInt(100);
            int[] pct = f.complexity();
            return r < pct[0] ? Complexity.LOW : r < pct[0] + pct[1] ? Complexity.MEDIUM : Complexity.HIGH;
        }
    }

    private long inflation(Feature f, Instant at) {
        Instant from = start.plus(scenario.inflationFrom());
        boolean inflated = f.name().equals(scenario.inflatedFeature()) && !at.isBefore(from)
                && at.isBefore(from.plus(scenario.inflationFor()));
        return inflated ? scenario.inflationFactor() : 1;
    }

    /**
     * How a session of calls unfolds: how many calls, what each call adds to the context after the first, how long
     * between calls, and whether the calls share an agent run id.
     */
    private record SessionShape(String label, int minCalls, int maxCalls, int addedTokens, int minGapSeconds,
                                int maxGapSeconds, boolean agentRun) {

        double meanCalls() {
            return (minCalls + maxCalls) / 2.0;
        }
    }

    /** A chat: each turn sends the whole history, which the prompt cache serves but for the newest message. */
    private static final SessionShape CHAT_SESSION = new SessionShape("chat", 2, 8, 180, 20, 90, false);
    /** An agent run: each step sends the context so far plus the last tool result. */
    private static final SessionShape AGENT_SESSION = new SessionShape("research", 3, 12, 1_500, 5, 20, true);

    /** A chat or an agent run: each call resends the context so far (from the prompt cache) plus what is new. */
    private final class Session extends Source {
        private final SessionShape shape;
        private final Customer customer;
        private final String user;
        private final Feature feature;
        private final Complexity complexity;
        private final String session;
        private final String run;
        private final int calls;
        private int call;
        private long context;

        Session(SessionShape shape, SplittableRandom random, Customer customer, String user, Feature feature,
                Complexity complexity) {
            super(random);
            this.shape = shape;
            this.customer = customer;
            this.user = user;
            this.feature = feature;
            this.complexity = complexity;
            String id = Long.toHexString(random.nextLong() >>> 16);
            this.session = customer.id() + "-" + shape.label() + "-" + id;
            this.run = shape.agentRun() ? "run-" + id : null;
            this.calls = random.nextInt(shape.minCalls(), shape.maxCalls() + 1);
        }

        @Override
        Task emit() {
            Instant at = next;
            long added = call == 0 ? around(feature.promptTokens()) : around(shape.addedTokens());
            long prompt = Math.min(context + added, CONTEXT_WINDOW);
            long output = around(feature.outputTokens());
            Task t = new Task(at, uuid(), Actor.BACKGROUND, customer.gateway(), customer.id(), user, feature, session,
                    run, complexity, prompt, Math.min(context, prompt), output, latency(output), fails());
            context = prompt + output;
            call++;
            next = call < calls ? at.plus(between(shape.minGapSeconds(), shape.maxGapSeconds()))
                    .plusMillis(t.latencyMs()) : null;
            return t;
        }
    }

    /** The scenario's heavy user: hard prompts to one feature, every few seconds, from their start to the end. */
    private final class HeavyUser extends Source {
        private final Customer customer = world.customer(scenario.heavyCustomer());
        private final Feature feature = world.feature(scenario.heavyFeature());

        HeavyUser(SplittableRandom random) {
            super(random);
        }

        @Override
        Task emit() {
            Instant at = next;
            long every = scenario.heavyEvery().toMillis();
            next = at.plusMillis(every * 8 / 10 + random.nextLong(every * 4 / 10 + 1));
            long prompt = around(feature.promptTokens());
            long output = around(feature.outputTokens());
            return new Task(at, uuid(), Actor.HEAVY_USER, customer.gateway(), customer.id(), scenario.heavyUser(),
                    feature, null, null, Complexity.HIGH, prompt, prompt * 6 / 10, output, latency(output), false);
        }
    }

    /** The scenario's runaway agent: one session, one run, a step every few seconds, the context never trimmed. */
    private final class RunawayAgent extends Source {
        private final Customer customer = world.customer(scenario.runawayCustomer());
        private final Feature feature = world.features().stream().filter(f -> f.style() == Style.AGENT).findFirst()
                .orElseThrow();
        private final Instant stop = start.plus(scenario.runawayFrom()).plus(scenario.runawayFor());
        private final String user;
        private long context;

        RunawayAgent(SplittableRandom random) {
            super(random);
            this.user = customer.users().getFirst();
        }

        @Override
        Task emit() {
            Instant at = next;
            long added = context == 0 ? around(feature.promptTokens()) : around(2_000);
            long prompt = Math.min(context + added, CONTEXT_WINDOW);
            long output = around(feature.outputTokens());
            Task t = new Task(at, uuid(), Actor.RUNAWAY_AGENT, customer.gateway(), customer.id(), user, feature,
                    scenario.runawaySession(), scenario.runawaySession() + "-run-1", Complexity.HIGH, prompt,
                    Math.min(context, prompt), output, latency(output), false);
            context = prompt + output;
            Instant following = at.plus(scenario.runawayEvery());
            next = following.isBefore(stop) ? following : null;
            return t;
        }
    }

    /** Every task of the span at once, for tests. */
    public static List<Task> all(TrafficModel model) {
        List<Task> tasks = new ArrayList<>();
        for (Task t = model.next(); t != null; t = model.next()) {
            tasks.add(t);
        }
        return tasks;
    }
}
