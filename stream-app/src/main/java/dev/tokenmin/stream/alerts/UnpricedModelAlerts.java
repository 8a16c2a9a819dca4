package dev.tokenmin.stream.alerts;

import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.schemas.scope.ScopeKey;
import dev.tokenmin.stream.topology.MeteringCounters;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;

/**
 * Raises one UNPRICED_MODEL alert per model without a price, remembered in a state store (so not again after a
 * restart). Each task of the priced stream remembers on its own, so with several partitions a model may be
 * alerted once per task; those alerts share their id ({@link Alerts}), which subscribers deduplicate.
 */
public final class UnpricedModelAlerts implements Processor<String, PricedUsage, String, Alert> {

    private static final Logger LOG = LoggerFactory.getLogger(UnpricedModelAlerts.class);

    private final String storeName;
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, Long> seen;

    public UnpricedModelAlerts(String storeName) {
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        this.context = context;
        this.seen = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, PricedUsage> record) {
        if (!record.value().getUnpriced()) {
            return;
        }
        UsageEvent e = record.value().getEvent();
        String model = e.getProvider() + "/" + e.getModel();
        if (seen.get(model) != null) {
            return;
        }
        seen.put(model, e.getOccurredAt().toEpochMilli());
        Alert alert = Alerts.unpricedModel(e.getProvider(), e.getModel(), e.getOccurredAt(),
                Instant.ofEpochMilli(context.currentSystemTimeMs()));
        MeteringCounters.ALERTS.incrementAndGet();
        LOG.warn("alert {}: {}", alert.getAlertId(), alert.getSummary());
        context.forward(record.withKey(ScopeKey.GLOBAL.toString()).withValue(alert));
    }
}
