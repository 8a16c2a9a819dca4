package dev.tokenmin.stream.app;

import dev.tokenmin.stream.errors.DeadLetterHandlers;
import dev.tokenmin.stream.topology.MeteringCounters;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** The stream app's own counters as meters: what it priced, dropped, decided, raised and dead-lettered. */
final class DomainMeters {

    private DomainMeters() {
    }

    static void bindTo(MeterRegistry meters) {
        counter(meters, "tokenmin.events.priced", "events priced with a catalog price", MeteringCounters.PRICED);
        counter(meters, "tokenmin.events.unpriced", "events counted at cost 0: no price for their model",
                MeteringCounters.UNPRICED);
        counter(meters, "tokenmin.events.duplicates", "duplicate events dropped by event_id",
                MeteringCounters.DUPLICATES);
        counter(meters, "tokenmin.events.late", "events past the grace period of their minute window",
                MeteringCounters.LATE);
        counter(meters, "tokenmin.decisions", "throttle decisions published, lifts included",
                MeteringCounters.DECISIONS);
        counter(meters, "tokenmin.alerts", "alerts raised", MeteringCounters.ALERTS);
        MeteringCounters.watchSpend((feature, nanos) -> FunctionCounter.builder("tokenmin.spend.nanos", nanos,
                AtomicLong::get).tag("feature", feature)
                .description("spend priced, by feature (for dashboards; the ledger is ClickHouse)").register(meters));
        for (String reason : List.of("undecodable", "invalid")) {
            AtomicLong count = DeadLetterHandlers.counter(reason);
            FunctionCounter.builder("tokenmin.dead.lettered", count, AtomicLong::get).tag("reason", reason)
                    .description("records sent to the dead-letter topic").register(meters);
        }
    }

    private static void counter(MeterRegistry meters, String name, String description, AtomicLong count) {
        FunctionCounter.builder(name, count, AtomicLong::get).description(description).register(meters);
    }
}
