package dev.tokenmin.benchmarks.load;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.ingest.emit.UsageEmitter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/** Background traffic through the SDK at a fixed rate, for the harnesses that run the pipeline live. */
final class Pacer {

    private Pacer() {
    }

    /**
     * A thread emitting {@code rate} events/s ({@link Events#event}) for {@code duration} (or until {@code stop}), in
     * 10 ms ticks, each tick catching up to where the schedule says the count should be, so a slow tick does not lower
     * the rate.
     */
    static Thread start(UsageEmitter emitter, int rate, AtomicBoolean stop, Duration duration) {
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
                    emitter.emitAll(batch);
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
