package dev.tokenmin.benchmarks.load;

import dev.tokenmin.avro.UsageEvent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** Background traffic at a fixed rate (through the SDK, as a rule), for the harnesses that run the pipeline live. */
final class Pacer {

    private Pacer() {
    }

    /**
     * A thread handing {@code rate} events/s ({@link Events#event}) to {@code emitAll} for {@code duration} (or until
     * {@code stop}), in
     * 10 ms ticks, each tick catching up to where the schedule says the count should be, so a slow tick does not lower
     * the rate.
     */
    static Thread start(Consumer<List<UsageEvent>> emitAll, int rate, AtomicBoolean stop, Duration duration) {
        return Thread.ofPlatform().name("load-" + rate).start(() -> {
            SplittableRandom random = new SplittableRandom(rate);
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            long emitted = 0;
            List<UsageEvent> batch = new ArrayList<>();
            while (!stop.get() && System.nanoTime() < end) {
                long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
                batch.clear();
                for (; emitted < due; emitted++) {
                    batch.add(Events.event(random));
                }
                if (!batch.isEmpty()) {
                    emitAll.accept(batch);
                }
                try {
                    Thread.sleep(10); // the tick: paces the offered rate
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        });
    }
}
