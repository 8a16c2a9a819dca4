package dev.tokenmin.stream.topology;

import dev.tokenmin.avro.WindowKind;

import java.util.Locale;

/**
 * Every processor and state store name of the metering topology, in one place. Names are part of the deployed
 * app's identity (changelog and repartition topics are named after them): renaming one is a migration.
 */
public final class Names {

    public static final String USAGE_SOURCE = "usage-source";
    public static final String PRICES_SOURCE = "prices-source";
    public static final String PRICES_STORE = "prices-store";
    public static final String VALIDATE = "validate";
    public static final String DEDUP = "dedup";
    public static final String DEDUP_STORE = "dedup-store";
    public static final String PRICE = "price";
    public static final String PRICED_SINK = "priced-sink";
    public static final String SCOPE_DELTAS = "scope-deltas";
    public static final String SCOPE_DELTAS_STORE = "scope-deltas-store";
    public static final String BY_SCOPE = "by-scope";
    public static final String BUDGETS_SOURCE = "budgets-source";
    public static final String BUDGET_INDEX = "budget-index";
    public static final String BUDGET_INDEX_STORE = "budget-index-store";
    public static final String USAGE_AND_BUDGETS = "usage-and-budgets";
    public static final String LATE_EVENTS = "late-events";
    public static final String USAGE_ONLY = "usage-only";
    public static final String BUDGET_ENFORCER = "budget-enforcer";
    public static final String BUDGETS_STORE = "budgets-store";
    public static final String BUDGET_STATE_STORE = "budget-state-store";
    public static final String DECISIONS_STORE = "decisions-store";
    public static final String BUDGET_ALERTS = "budget-alerts";
    public static final String DECISIONS = "decisions";
    public static final String THROTTLE_SINK = "throttle-sink";
    public static final String UNPRICED_ALERTS = "unpriced-alerts";
    public static final String UNPRICED_MODELS_STORE = "unpriced-models-store";
    public static final String DIMENSION_DELTAS = "dimension-deltas";
    public static final String DIMENSION_DELTAS_STORE = "dimension-deltas-store";
    public static final String BY_DIMENSION = "by-dimension";
    public static final String ANOMALY_DETECTOR = "anomaly-detector";
    public static final String ANOMALY_STATE_STORE = "anomaly-state-store";
    public static final String ANOMALY_HOURLY_STORE = "anomaly-hourly-store";
    public static final String ANOMALY_DAILY_STORE = "anomaly-daily-store";
    public static final String ANOMALY_CONTRIBUTORS_STORE = "anomaly-contributors-store";

    public static final String SPEND = "spend";
    public static final String SPEND_LATEST_STORE = "spend-latest-store";
    public static final String SPEND_UNPUBLISHED_STORE = "spend-unpublished-store";

    /**
     * The store of a window kind's closed windows (a session's total for {@code SESSION}), e.g.
     * {@code spend-hour-store}: the names the DSL aggregations had, so their data stays readable.
     */
    public static String spendStore(WindowKind kind) {
        return SPEND + "-" + kind.name().toLowerCase(Locale.ROOT) + "-store";
    }

    private Names() {
    }
}
