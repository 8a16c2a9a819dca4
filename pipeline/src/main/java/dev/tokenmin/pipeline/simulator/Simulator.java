package dev.tokenmin.pipeline.simulator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The traffic simulator: gateways and a routing service in front of real customers, on a simulated clock. One
 * thread draws tasks from the {@link TrafficModel} and hands each, when its simulated time comes, to its gateway;
 * each gateway routes it (obeying the throttle decisions the sidecar serves) and reports usage to the sidecar.
 * It stops at the end of the span or at {@link #stop()}, after the gateways have flushed what they hold.
 */
public final class Simulator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Simulator.class);

    private final SimClock clock;
    private final TrafficModel model;
    private final Map<String, Gateway> gateways = new LinkedHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private final SimCounts counts = new SimCounts();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread driver;
    private volatile boolean stopping;

    /**
     * @param callsPerHour background calls per simulated hour
     * @param tokens       each gateway's bearer token for the sidecar, by gateway id
     */
    public Simulator(World world, Scenario scenario, SimClock clock, double callsPerHour, long seed,
                     SidecarClient sidecar, Map<String, String> tokens) {
        this.clock = clock;
        this.model = new TrafficModel(world, scenario, clock.start(), clock.end(), callsPerHour, seed);
        RoutingService routing = new RoutingService(RoutingTable.STANDARD);
        for (String id : world.gateways()) {
            gateways.put(id, new Gateway(id, tokens.get(id), sidecar, routing, counts));
        }
        this.driver = Thread.ofPlatform().name("simulator").unstarted(this::drive);
    }

    /** Starts the clock, the gateways and the driver. */
    public Simulator start() {
        clock.startNow();
        for (Gateway g : gateways.values()) {
            threads.add(Thread.ofPlatform().name("gateway-" + g.id()).start(g));
        }
        driver.start();
        return this;
    }

    private void drive() {
        try {
            for (Task t = model.next(); t != null && !stopping; t = model.next()) {
                long wait = clock.realNanosUntil(t.at());
                while (wait > 0 && !stopping) {
                    LockSupport.parkNanos(Math.min(wait, 20_000_000)); // pacing offered load to the simulated clock
                    wait = clock.realNanosUntil(t.at());
                }
                if (stopping || failed() != null) {
                    break;
                }
                counts.countOffered();
                gateways.get(t.gateway()).offer(t);
            }
            for (Gateway g : gateways.values()) {
                g.finish();
            }
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            LOG.info("simulator finished: {} tasks offered, {} events sent, {} refused", counts.offered(),
                    counts.sent(), counts.refused());
            finished.countDown();
        }
    }

    public SimClock clock() {
        return clock;
    }

    public SimCounts counts() {
        return counts;
    }

    /** The first gateway failure (the sidecar refused what it should take), or null. */
    public Throwable failed() {
        return gateways.values().stream().map(Gateway::failure).filter(f -> f != null).findFirst().orElse(null);
    }

    /** Whether the span is over (or the simulator was stopped) and every gateway has flushed. */
    public boolean isFinished() {
        return finished.getCount() == 0;
    }

    public boolean awaitFinished(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Offers no more tasks; the gateways flush what they hold. */
    public void stop() {
        stopping = true;
    }

    @Override
    public void close() {
        stop();
        try {
            if (!awaitFinished(Duration.ofSeconds(60))) {
                LOG.warn("simulator gateways still busy after 60 s; leaving them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
