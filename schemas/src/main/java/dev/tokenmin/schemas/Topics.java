package dev.tokenmin.schemas;

import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.avro.UsageEvent;
import org.apache.avro.specific.SpecificRecord;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The names of every Kafka topic tokenmin reads or writes, in one place. Keys and policies are in
 * the README; a topic's version suffix changes only with an incompatible change of its contract.
 */
public final class Topics {

    /** Usage events from gateways; key = event_id, timestamp = event time. Delete, 7 days. */
    public static final String USAGE = "tokenmin.usage.v1";
    /** The price catalog; key = {@code provider/model@effective_from}, so every version is kept. Compacted. */
    public static final String PRICES = "tokenmin.prices.v1";
    /** Budgets; key = budget id. Compacted. */
    public static final String BUDGETS = "tokenmin.budgets.v1";
    /** Priced, deduplicated usage; key = event_id. Delete, 7 days. */
    public static final String USAGE_PRICED = "tokenmin.usage.priced.v1";
    /** Spend per scope and window; key = scope + window. Compacted. */
    public static final String SPEND = "tokenmin.spend.v1";
    /** Budget and anomaly alerts; key = scope. Delete, 30 days. */
    public static final String ALERTS = "tokenmin.alerts.v1";
    /** Throttle decisions per scope; a tombstone lifts the restriction. Compacted. */
    public static final String THROTTLE = "tokenmin.throttle.v1";
    /** Records that could not be read or processed, raw, with error headers. Delete, 30 days. */
    public static final String DLQ = "tokenmin.dlq.v1";

    /** Alerts a webhook endpoint did not take after every retry, as the JSON it was sent, with error headers. */
    public static final String WEBHOOK_DLQ = "tokenmin.webhooks.dlq.v1";

    /** Every topic above. */
    public static final List<String> ALL = List.of(USAGE, PRICES, BUDGETS, USAGE_PRICED, SPEND, ALERTS, THROTTLE, DLQ,
            WEBHOOK_DLQ);

    /**
     * Each topic's designed policy as topic configs: delete with a retention, or compact. Deployments (the local
     * stack, Kubernetes) create the topics with these.
     */
    public static final Map<String, Map<String, String>> CONFIGS = Map.of(
            USAGE, retained(7), PRICES, compacted(), BUDGETS, compacted(), USAGE_PRICED, retained(7),
            SPEND, compacted(), ALERTS, retained(30), THROTTLE, compacted(), DLQ, retained(30),
            WEBHOOK_DLQ, retained(30));

    private static Map<String, String> retained(int days) {
        return Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(days * 24L * 3_600_000L));
    }

    private static Map<String, String> compacted() {
        return Map.of("cleanup.policy", "compact");
    }

    /** The Avro record each topic's values hold (the dead-letter topic holds raw bytes and is not listed). */
    public static final Map<String, Class<? extends SpecificRecord>> VALUE_TYPES = valueTypes();

    private static Map<String, Class<? extends SpecificRecord>> valueTypes() {
        Map<String, Class<? extends SpecificRecord>> types = new LinkedHashMap<>();
        types.put(USAGE, UsageEvent.class);
        types.put(PRICES, PriceEntry.class);
        types.put(BUDGETS, Budget.class);
        types.put(USAGE_PRICED, PricedUsage.class);
        types.put(SPEND, SpendAggregate.class);
        types.put(ALERTS, Alert.class);
        types.put(THROTTLE, ThrottleDecision.class);
        return Collections.unmodifiableMap(types);
    }

    private Topics() {
    }
}
