package dev.tokenmin.schemas;

import java.util.List;

/**
 * The names of every Kafka topic tokenmin reads or writes, in one place. Keys and policies are in
 * {@code docs/architecture.md}; a topic's version suffix changes only with an incompatible change of its contract.
 */
public final class Topics {

    /** Usage events from gateways; key = event_id, timestamp = event time. Delete, 7 days. */
    public static final String USAGE = "tokenmin.usage.v1";
    /** The price catalog; key = {@code provider/model}. Compacted. */
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

    /** Every topic above. */
    public static final List<String> ALL = List.of(USAGE, PRICES, BUDGETS, USAGE_PRICED, SPEND, ALERTS, THROTTLE, DLQ);

    private Topics() {
    }
}
