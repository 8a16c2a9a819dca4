package dev.tokenmin.stream.topology;

import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.avro.WindowKind;
import dev.tokenmin.schemas.scope.ScopeKey;
import dev.tokenmin.stream.alerts.UnpricedModelAlerts;
import dev.tokenmin.stream.anomaly.AnomalyConfig;
import dev.tokenmin.stream.anomaly.AnomalyDetector;
import dev.tokenmin.stream.anomaly.Dimensions;
import dev.tokenmin.stream.budget.BudgetEnforcer;
import dev.tokenmin.stream.budget.BudgetIndexProcessor;
import dev.tokenmin.stream.budget.BudgetOutcome;
import dev.tokenmin.stream.budget.BudgetState;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.dedup.DedupProcessor;
import dev.tokenmin.stream.pricing.PricingProcessor;
import dev.tokenmin.stream.serde.InternalSerdes;
import dev.tokenmin.stream.serde.StreamSerdes;
import dev.tokenmin.stream.spend.LateEvents;
import dev.tokenmin.stream.spend.LatestWindows;
import dev.tokenmin.stream.spend.ScopeSpendProcessor;
import dev.tokenmin.stream.spend.SpendDelta;
import dev.tokenmin.stream.spend.SpendDeltaBuffer;
import dev.tokenmin.stream.usage.OccurredAtExtractor;
import dev.tokenmin.stream.usage.UsageSizeLimit;
import dev.tokenmin.stream.usage.ValidateProcessor;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * tokenmin's metering topology: usage events are validated (invalid ones to the dead-letter topic), deduplicated by
 * event id, priced with the price in force at their event time, and written to the priced topic (a model without a
 * price raises one alert); then, per scope, their spend is summed per window (spend topic) and held against the scope's
 * budgets (throttle decisions, threshold alerts), and per dimension watched for anomalies (alerts). Before either
 * repartition, events are summed per busy scope (or dimension) and minute for a short while ({@link SpendDeltaBuffer}),
 * so such a scope costs one repartitioned record per flush instead of one per event. Built without side effects from
 * its configuration and serdes; {@code StreamApp} runs it.
 */
public final class MeteringTopology {

    private MeteringTopology() {
    }

    /** How often the budget enforcer looks for decisions whose period has ended (wall clock). */
    public static final Duration LIFT_CHECK = Duration.ofSeconds(1);

    public static Topology build(StreamAppConfig config, StreamSerdes serdes) {
        // The app's own settings, so that explicit naming of every internal topic and store is enforced here.
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(config.streamsProperties())));
        KStream<String, PricedUsage> priced = priced(builder, config, serdes);

        builder.addStateStore(keyValueStore(Names.UNPRICED_MODELS_STORE, Serdes.Long()));
        priced.process(() -> new UnpricedModelAlerts(Names.UNPRICED_MODELS_STORE), Named.as(Names.UNPRICED_ALERTS),
                        Names.UNPRICED_MODELS_STORE)
                .to(config.topics().alerts(), Produced.with(Serdes.String(), serdes.alert())
                        .withName(Names.UNPRICED_ALERTS + "-sink"));

        KStream<String, ScopeInput> byScope = byScope(builder, config, serdes, priced);
        spend(builder, config, serdes, byScope.filter((scope, in) -> in.isUsage(), Named.as(Names.USAGE_ONLY))
                .mapValues(ScopeInput::usage, Named.as(Names.USAGE_ONLY + "-values")));
        budgets(builder, config, serdes, byScope);
        if (!config.anomaly().dimensions().isEmpty()) {
            anomalies(builder, config, serdes, priced);
        }
        return builder.build();
    }

    /**
     * The first stage, which every event passes once: usage events validated, deduplicated by event id, priced with
     * the price in force at their event time, and written to the priced topic; the priced events are returned for the
     * stages after it. Public so that the load harness's floor measures exactly this stage.
     */
    public static KStream<String, PricedUsage> priced(StreamsBuilder builder, StreamAppConfig config,
                                                      StreamSerdes serdes) {
        builder.globalTable(config.topics().prices(),
                Consumed.with(Serdes.String(), serdes.price()).withName(Names.PRICES_SOURCE),
                Materialized.<String, PriceEntry, KeyValueStore<Bytes, byte[]>>as(Names.PRICES_STORE)
                        .withKeySerde(Serdes.String()).withValueSerde(serdes.price()));
        builder.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(Names.DEDUP_STORE, config.dedupHorizon(), config.dedupHorizon(), false),
                Serdes.String(), Serdes.Long()));

        KStream<String, UsageEvent> usage = builder.stream(config.topics().usage(),
                Consumed.with(Serdes.String(), UsageSizeLimit.limit(serdes.usage())).withName(Names.USAGE_SOURCE)
                        .withTimestampExtractor(new OccurredAtExtractor()));
        KStream<String, PricedUsage> priced = usage
                .processValues(ValidateProcessor::new, Named.as(Names.VALIDATE))
                .processValues(() -> new DedupProcessor(Names.DEDUP_STORE, config.dedupHorizon()),
                        Named.as(Names.DEDUP), Names.DEDUP_STORE)
                .processValues(() -> new PricingProcessor(Names.PRICES_STORE), Named.as(Names.PRICE));
        priced.to(config.topics().priced(),
                Produced.with(Serdes.String(), serdes.priced()).withName(Names.PRICED_SINK));
        return priced;
    }

    /**
     * Anomaly detection: priced events summed per watched dimension (feature, customer, customer/feature, model) and
     * minute, through their own repartition topic, to the detector; its alerts go to the alerts topic.
     */
    private static void anomalies(StreamsBuilder builder, StreamAppConfig config, StreamSerdes serdes,
                                  KStream<String, PricedUsage> priced) {
        AnomalyDetector.StoreNames stores = new AnomalyDetector.StoreNames(Names.ANOMALY_STATE_STORE,
                Names.ANOMALY_HOURLY_STORE, Names.ANOMALY_DAILY_STORE, Names.ANOMALY_CONTRIBUTORS_STORE);
        AnomalyDetector.storeBuilders(stores).forEach(builder::addStateStore);
        AnomalyConfig anomaly = config.anomaly();
        priced.process(() -> new SpendDeltaBuffer(e -> dimensionsOf(e, anomaly), Names.DIMENSION_DELTAS_STORE, true,
                                anomaly.flush()), Named.as(Names.DIMENSION_DELTAS),
                        SpendDeltaBuffer.addStore(builder, Names.DIMENSION_DELTAS_STORE, anomaly.flush()))
                .repartition(Repartitioned.with(Serdes.String(), InternalSerdes.spendDelta())
                        .withName(Names.BY_DIMENSION))
                .process(() -> new AnomalyDetector(stores, anomaly), Named.as(Names.ANOMALY_DETECTOR),
                        stores.state(), stores.hourly(), stores.daily(), stores.contributors())
                .to(config.topics().alerts(), Produced.with(Serdes.String(), serdes.alert())
                        .withName(Names.ANOMALY_DETECTOR + "-sink"));
    }

    /** The dimensions an event counts in: each has many events between two flushes, so each is summed. */
    private static List<SpendDeltaBuffer.Target> dimensionsOf(UsageEvent e, AnomalyConfig anomaly) {
        List<SpendDeltaBuffer.Target> targets = new ArrayList<>(4);
        for (String key : Dimensions.keys(e, anomaly.dimensions())) {
            targets.add(new SpendDeltaBuffer.Target(key, true));
        }
        return targets;
    }

    private static <V> StoreBuilder<KeyValueStore<String, V>> keyValueStore(String name, Serde<V> values) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), values);
    }

    /**
     * Priced events per scope they count in (global, customer, customer/user, customer/feature, customer/team,
     * session), summed per scope and minute except for users and sessions, merged with the budget changes keyed by
     * their scope, through one repartition topic.
     */
    private static KStream<String, ScopeInput> byScope(StreamsBuilder builder, StreamAppConfig config,
                                                       StreamSerdes serdes, KStream<String, PricedUsage> priced) {
        KStream<String, ScopeInput> usageByScope = priced
                .process(() -> new SpendDeltaBuffer(MeteringTopology::scopesOf, Names.SCOPE_DELTAS_STORE, false,
                        config.spendFlush()), Named.as(Names.SCOPE_DELTAS),
                        SpendDeltaBuffer.addStore(builder, Names.SCOPE_DELTAS_STORE, config.spendFlush()))
                .mapValues(ScopeInput::of, Named.as(Names.SCOPE_DELTAS + "-values"));
        builder.addStateStore(keyValueStore(Names.BUDGET_INDEX_STORE, Serdes.String()));
        KStream<String, ScopeInput> budgetsByScope = builder.stream(config.topics().budgets(),
                        Consumed.with(Serdes.String(), serdes.budget()).withName(Names.BUDGETS_SOURCE))
                .process(() -> new BudgetIndexProcessor(Names.BUDGET_INDEX_STORE), Named.as(Names.BUDGET_INDEX),
                        Names.BUDGET_INDEX_STORE);
        return usageByScope.merge(budgetsByScope, Named.as(Names.USAGE_AND_BUDGETS))
                .repartition(Repartitioned.with(Serdes.String(), serdes.scopeInput(config.topics()))
                        .withName(Names.BY_SCOPE))
                .processValues(() -> new LateEvents(config.grace()), Named.as(Names.LATE_EVENTS));
    }

    /**
     * The scopes an event counts in, as the by-scope topic's keys; users and sessions, about one event each between
     * two flushes, are not summed (see {@link SpendDeltaBuffer}).
     */
    private static List<SpendDeltaBuffer.Target> scopesOf(UsageEvent e) {
        List<SpendDeltaBuffer.Target> targets = new ArrayList<>(6);
        for (ScopeKey scope : ScopeKey.ofRequest(e.getCustomerId(), e.getUserId(), e.getFeature(), e.getTeam(),
                e.getSessionId())) {
            boolean summed = scope.kind() != ScopeKey.Kind.USER && scope.kind() != ScopeKey.Kind.SESSION;
            targets.add(new SpendDeltaBuffer.Target(scope.toString(), summed));
        }
        return targets;
    }

    /**
     * Budgets enforced per scope: decisions to the throttle topic, threshold alerts to the alerts topic. The
     * enforcer reads the hourly and session spend stores to start a new budget from the spend so far.
     */
    private static void budgets(StreamsBuilder builder, StreamAppConfig config, StreamSerdes serdes,
                                KStream<String, ScopeInput> byScope) {
        builder.addStateStore(keyValueStore(Names.BUDGETS_STORE, serdes.budget()));
        builder.addStateStore(keyValueStore(Names.BUDGET_STATE_STORE, BudgetState.serde()));
        builder.addStateStore(keyValueStore(Names.DECISIONS_STORE, serdes.decision()));
        ScopeSpendProcessor.StoreNames spend = spendStores();
        BudgetEnforcer.Stores stores = new BudgetEnforcer.Stores(Names.BUDGETS_STORE, Names.BUDGET_STATE_STORE,
                Names.DECISIONS_STORE, spend.latest(), spend.closed().get(WindowKind.HOUR), spend.sessions());
        KStream<String, BudgetOutcome> outcomes = byScope.process(() -> new BudgetEnforcer(stores, LIFT_CHECK),
                Named.as(Names.BUDGET_ENFORCER), stores.budgets(), stores.states(), stores.decisions(),
                stores.latestSpend(), stores.hourlySpend(), stores.sessionSpend());
        outcomes.filter((scope, o) -> o.isAlert(), Named.as(Names.BUDGET_ALERTS))
                .mapValues(BudgetOutcome::alert, Named.as(Names.BUDGET_ALERTS + "-values"))
                .to(config.topics().alerts(), Produced.with(Serdes.String(), serdes.alert())
                        .withName(Names.BUDGET_ALERTS + "-sink"));
        outcomes.filter((scope, o) -> !o.isAlert(), Named.as(Names.DECISIONS))
                .mapValues(BudgetOutcome::decision, Named.as(Names.DECISIONS + "-values"))
                .to(config.topics().throttle(), Produced.with(Serdes.String(), serdes.decision())
                        .withName(Names.THROTTLE_SINK));
    }

    /**
     * Spend per scope over the minute, hour, day and calendar month (UTC) windows and a session's whole life, in one
     * processor (see {@link ScopeSpendProcessor} for why not one DSL aggregation per window); updates go to the spend
     * topic.
     */
    private static void spend(StreamsBuilder builder, StreamAppConfig config, StreamSerdes serdes,
                              KStream<String, SpendDelta> byScope) {
        ScopeSpendProcessor.StoreNames stores = spendStores();
        ScopeSpendProcessor.storeBuilders(stores).forEach(builder::addStateStore);
        byScope.process(() -> new ScopeSpendProcessor(stores, config.grace(), config.spendPublish()),
                        Named.as(Names.SPEND),
                        stores.latest(), stores.unpublished(), stores.sessions(),
                        stores.closed().get(WindowKind.MINUTE), stores.closed().get(WindowKind.HOUR),
                        stores.closed().get(WindowKind.DAY), stores.closed().get(WindowKind.MONTH))
                .to(config.topics().spend(), Produced.with(Serdes.String(), serdes.spend())
                        .withName(Names.SPEND + "-sink"));
    }

    /** The spend processor's stores, as the budget enforcer and the query API read them too. */
    public static ScopeSpendProcessor.StoreNames spendStores() {
        Map<WindowKind, String> closed = new EnumMap<>(WindowKind.class);
        for (WindowKind kind : LatestWindows.KINDS) {
            closed.put(kind, Names.spendStore(kind));
        }
        return new ScopeSpendProcessor.StoreNames(Names.SPEND_LATEST_STORE, Names.SPEND_UNPUBLISHED_STORE,
                Names.spendStore(WindowKind.SESSION), closed);
    }
}
