package dev.tokenmin.stream.pricing;

import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.schemas.pricing.PriceKeys;
import dev.tokenmin.stream.topology.MeteringCounters;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prices each deduplicated event with the price in force at its {@code occurred_at}, read from the prices
 * GlobalKTable's store: the keys of one model sort by effective time ({@link PriceKeys}), so the entry in force is
 * the first of a reverse range scan. An unpriced event is counted and logged once per model.
 */
public final class PricingProcessor implements FixedKeyProcessor<String, UsageEvent, PricedUsage> {

    private static final Logger LOG = LoggerFactory.getLogger(PricingProcessor.class);
    private static final Set<String> REPORTED_UNPRICED = ConcurrentHashMap.newKeySet();

    private final String storeName;
    private FixedKeyProcessorContext<String, PricedUsage> context;
    private Pricer pricer;

    public PricingProcessor(String storeName) {
        this.storeName = storeName;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, PricedUsage> context) {
        this.context = context;
        KeyValueStore<String, ValueAndTimestamp<PriceEntry>> prices = context.getStateStore(storeName);
        this.pricer = new Pricer((provider, model, at) -> inForce(prices, provider, model, at));
    }

    static PriceEntry inForce(KeyValueStore<String, ValueAndTimestamp<PriceEntry>> prices, String provider,
                              String model, Instant at) {
        try (KeyValueIterator<String, ValueAndTimestamp<PriceEntry>> it = prices.reverseRange(
                PriceKeys.prefix(provider, model), PriceKeys.key(provider, model, at))) {
            while (it.hasNext()) {
                KeyValue<String, ValueAndTimestamp<PriceEntry>> next = it.next();
                if (next.value != null && next.value.value() != null) {
                    return next.value.value();
                }
            }
            return null;
        }
    }

    @Override
    public void process(FixedKeyRecord<String, UsageEvent> record) {
        PricedUsage priced = pricer.price(record.value(), Instant.ofEpochMilli(context.currentSystemTimeMs()));
        if (priced.getUnpriced()) {
            MeteringCounters.UNPRICED.incrementAndGet();
            String model = record.value().getProvider() + "/" + record.value().getModel();
            if (REPORTED_UNPRICED.add(model)) {
                LOG.warn("no price for {} at {}: counted with cost 0 and flagged unpriced (add it to the catalog "
                        + "and publish)", model, record.value().getOccurredAt());
            }
        } else {
            MeteringCounters.PRICED.incrementAndGet();
            MeteringCounters.addSpend(record.value().getFeature(), priced.getCost().getTotalNanos());
        }
        context.forward(record.withValue(priced));
    }
}
