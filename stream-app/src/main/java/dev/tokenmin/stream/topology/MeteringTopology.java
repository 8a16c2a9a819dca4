package dev.tokenmin.stream.topology;

import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.SpendAggregate;
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
import dev.tokenmin.stream.spend.CalendarMonthWindows;
import dev.tokenmin.stream.spend.LateEvents;
import dev.tokenmin.stream.spend.ScopedUsage;
import dev.tokenmin.stream.spend.SpendAggregates;
import dev.tokenmin.stream.usage.OccurredAtExtractor;
import dev.tokenmin.stream.usage.ValidateProcessor;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Window;
import org.apache.kafka.streams.kstream.Windows;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * tokenmin's metering topology: usage events are validated (invalid ones to the dead-letter topic),
 * deduplicated by event id, priced with the price in force at their event time, and written to the priced topic
 * (a model without a price raises one alert); then, per scope, their spend is summed per window (spend topic) and
 * held against the scope's budgets (throttle decisions, threshold alerts), and per dimension watched for anomalies
 * (alerts). Built without side effects from its configuration and serdes; {@code StreamApp} runs it.
 */
public final class MeteringTopology {

    private MeteringTopology() {
    }

    /** How often the budget enforcer looks for decisions whose period has ended (wall clock). */
    public static final Duration LIFT_CHECK = Duration.ofSeconds(1);
    /**
     * How long hourly spend is kept: a month and its grace, because a budget created mid-month starts from the
     * month's hourly totals so far.
     */
    static final Duration HOURLY_RETENTION = Duration.ofDays(35);

    public static Topology build(StreamAppConfig config, StreamSerdes serdes) {
        // The app's own settings, so that explicit naming of every internal topic and store is enforced here.
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(config.streamsProperties())));
        builder.globalTable(config.topics().prices(),
                Consumed.with(Serdes.String(), serdes.price()).withName(Names.PRICES_SOURCE),
                Materialized.<String, PriceEntry, KeyValueStore<Bytes, byte[]>>as(Names.PRICES_STORE)
                        .withKeySerde(Serdes.String()).withValueSerde(serdes.price()));
        builder.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(Names.DEDUP_STORE, config.dedupHorizon(), config.dedupHorizon(), false),
                Serdes.String(), Serdes.Long()));

        KStream<String, UsageEvent> usage = builder.stream(config.topics().usage(),
                Consumed.with(Serdes.String(), serdes.usage()).withName(Names.USAGE_SOURCE)
                        .withTimestampExtractor(new OccurredAtExtractor()));
        KStream<String, PricedUsage> priced = usage
                .processValues(ValidateProcessor::new, Named.as(Names.VALIDATE))
                .processValues(() -> new DedupProcessor(Names.DEDUP_STORE, config.dedupHorizon()),
                        Named.as(Names.DEDUP), Names.DEDUP_STORE)
                .processValues(() -> new PricingProcessor(Names.PRICES_STORE), Named.as(Names.PRICE));
        priced.to(config.topics().priced(), Produced.with(Serdes.String(), serdes.priced()).withName(Names.PRICED_SINK));

        builder.addStateStore(keyValueStore(Names.UNPRICED_MODELS_STORE, Serdes.Long()));
        priced.process(() -> new UnpricedModelAlerts(Names.UNPRICED_MODELS_STORE), Named.as(Names.UNPRICED_ALERTS),
                        Names.UNPRICED_MODELS_STORE)
                .to(config.topics().alerts(), Produced.with(Serdes.String(), serdes.alert())
                        .withName(Names.UNPRICED_ALERTS + "-sink"));

        KStream<String, ScopeInput> byScope = byScope(builder, config, serdes, priced);
        spend(config, serdes, byScope.filter((scope, in) -> in.isUsage(), Named.as(Names.USAGE_ONLY))
                .mapValues(ScopeInput::usage, Named.as(Names.USAGE_ONLY + "-values")));
        budgets(builder, config, serdes, byScope);
        if (!config.anomaly().dimensions().isEmpty()) {
            anomalies(builder, config, serdes, priced);
        }
        return builder.build();
    }

    /**
     * Anomaly detection: every priced event once per watched dimension (feature, customer, customer/feature, model),
     * through its own repartition topic, to the detector; its alerts go to the alerts topic.
     */
    private static void anomalies(StreamsBuilder builder, StreamAppConfig config, StreamSerdes serdes,
                                  KStream<String, PricedUsage> priced) {
        AnomalyDetector.StoreNames stores = new AnomalyDetector.StoreNames(Names.ANOMALY_STATE_STORE,
                Names.ANOMALY_HOURLY_STORE, Names.ANOMALY_DAILY_STORE, Names.ANOMALY_CONTRIBUTORS_STORE);
        AnomalyDetector.storeBuilders(stores).forEach(builder::addStateStore);
        AnomalyConfig anomaly = config.anomaly();
        priced.flatMap((eventId, p) -> {
                    ScopedUsage u = ScopedUsage.of(p);
                    List<KeyValue<String, ScopedUsage>> out = new ArrayList<>(4);
                    for (String key : Dimensions.keys(p.getEvent(), anomaly.dimensions())) {
                        out.add(KeyValue.pair(key, u));
                    }
                    return out;
                }, Named.as(Names.FAN_OUT_TO_DIMENSIONS))
                .repartition(Repartitioned.with(Serdes.String(), InternalSerdes.scopedUsage())
                        .withName(Names.BY_DIMENSION))
                .process(() -> new AnomalyDetector(stores, anomaly), Named.as(Names.ANOMALY_DETECTOR),
                        stores.state(), stores.hourly(), stores.daily(), stores.contributors())
                .to(config.topics().alerts(), Produced.with(Serdes.String(), serdes.alert())
                        .withName(Names.ANOMALY_DETECTOR + "-sink"));
    }

    private static <V> StoreBuilder<KeyValueStore<String, V>> keyValueStore(String name, Serde<V> values) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), values);
    }

    /**
     * Every priced event once per scope it counts in (global, customer, customer/user, customer/feature,
     * customer/team, session), merged with the budget changes keyed by their scope, through one repartition topic.
     */
    private static KStream<String, ScopeInput> byScope(StreamsBuilder builder, StreamAppConfig config,
                                                       StreamSerdes serdes, KStream<String, PricedUsage> priced) {
        KStream<String, ScopeInput> usageByScope = priced.flatMap((eventId, p) -> {
            UsageEvent e = p.getEvent();
            List<KeyValue<String, ScopeInput>> out = new ArrayList<>(6);
            ScopeInput in = ScopeInput.of(ScopedUsage.of(p));
            for (ScopeKey scope : ScopeKey.ofRequest(e.getCustomerId(), e.getUserId(), e.getFeature(), e.getTeam(),
                    e.getSessionId())) {
                out.add(KeyValue.pair(scope.toString(), in));
            }
            return out;
        }, Named.as(Names.FAN_OUT));
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
     * Budgets enforced per scope: decisions to the throttle topic, threshold alerts to the alerts topic. The
     * enforcer reads the hourly and session spend stores to start a new budget from the spend so far.
     */
    private static void budgets(StreamsBuilder builder, StreamAppConfig config, StreamSerdes serdes,
                                KStream<String, ScopeInput> byScope) {
        builder.addStateStore(keyValueStore(Names.BUDGETS_STORE, serdes.budget()));
        builder.addStateStore(keyValueStore(Names.BUDGET_STATE_STORE, BudgetState.serde()));
        builder.addStateStore(keyValueStore(Names.DECISIONS_STORE, serdes.decision()));
        BudgetEnforcer.Stores stores = new BudgetEnforcer.Stores(Names.BUDGETS_STORE, Names.BUDGET_STATE_STORE,
                Names.DECISIONS_STORE, Names.spendStore(WindowKind.HOUR), Names.spendStore(WindowKind.SESSION));
        KStream<String, BudgetOutcome> outcomes = byScope.process(() -> new BudgetEnforcer(stores, LIFT_CHECK),
                Named.as(Names.BUDGET_ENFORCER), stores.budgets(), stores.states(), stores.decisions(),
                stores.hourlySpend(), stores.sessionSpend());
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
     * Spend per scope over tumbling event-time windows of a minute, an hour and a day, calendar months (UTC), and a
     * session's whole life; each update goes to the spend topic.
     */
    private static void spend(StreamAppConfig config, StreamSerdes serdes, KStream<String, ScopedUsage> byScope) {
        KGroupedStream<String, ScopedUsage> grouped = byScope.groupByKey(
                Grouped.with(Names.BY_SCOPE + "-grouped", Serdes.String(), InternalSerdes.scopedUsage()));
        Duration grace = config.grace();
        windowed(grouped, WindowKind.MINUTE, TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), grace),
                Duration.ofDays(1), serdes).to(config.topics().spend(), spendSink(serdes, WindowKind.MINUTE));
        windowed(grouped, WindowKind.HOUR, TimeWindows.ofSizeAndGrace(Duration.ofHours(1), grace),
                HOURLY_RETENTION, serdes).to(config.topics().spend(), spendSink(serdes, WindowKind.HOUR));
        windowed(grouped, WindowKind.DAY, TimeWindows.ofSizeAndGrace(Duration.ofDays(1), grace),
                Duration.ofDays(40), serdes).to(config.topics().spend(), spendSink(serdes, WindowKind.DAY));
        windowed(grouped, WindowKind.MONTH, CalendarMonthWindows.withGrace(grace), Duration.ofDays(400), serdes)
                .to(config.topics().spend(), spendSink(serdes, WindowKind.MONTH));

        byScope.filter((scope, p) -> scope.startsWith("session:"), Named.as(Names.SESSIONS_ONLY))
                .groupByKey(Grouped.with(Names.SESSIONS_ONLY + "-grouped", Serdes.String(),
                        InternalSerdes.scopedUsage()))
                .aggregate(SpendAggregates::empty, (scope, p, agg) -> {
                    SpendAggregate sum = SpendAggregates.add(agg, p);
                    Instant at = Instant.ofEpochMilli(p.occurredAt());
                    if (sum.getRequests() == 1 || at.isBefore(sum.getWindowStart())) {
                        sum.setWindowStart(at);
                    }
                    if (!at.isBefore(sum.getWindowEnd())) {
                        sum.setWindowEnd(at.plusMillis(1));
                    }
                    sum.setScope(scope);
                    sum.setWindowKind(WindowKind.SESSION);
                    return sum;
                }, Named.as(Names.spend(WindowKind.SESSION)),
                        Materialized.<String, SpendAggregate, KeyValueStore<Bytes, byte[]>>as(
                                Names.spendStore(WindowKind.SESSION)).withKeySerde(Serdes.String())
                                .withValueSerde(InternalSerdes.spendAggregate()))
                .toStream(Named.as(Names.spend(WindowKind.SESSION) + "-updates"))
                .map((scope, agg) -> KeyValue.pair(SpendAggregates.sessionKey(scope), agg),
                        Named.as(Names.spend(WindowKind.SESSION) + "-keyed"))
                .to(config.topics().spend(), spendSink(serdes, WindowKind.SESSION));
    }

    private static Produced<String, SpendAggregate> spendSink(StreamSerdes serdes, WindowKind kind) {
        return Produced.with(Serdes.String(), serdes.spend()).withName(Names.spend(kind) + "-sink");
    }

    private static <W extends Window> KStream<String, SpendAggregate> windowed(
            KGroupedStream<String, ScopedUsage> grouped, WindowKind kind, Windows<W> windows, Duration retention,
            StreamSerdes serdes) {
        return grouped.windowedBy(windows)
                .aggregate(SpendAggregates::empty, (scope, p, agg) -> SpendAggregates.add(agg, p),
                        Named.as(Names.spend(kind)),
                        Materialized.<String, SpendAggregate, WindowStore<Bytes, byte[]>>as(Names.spendStore(kind))
                                .withKeySerde(Serdes.String()).withValueSerde(InternalSerdes.spendAggregate())
                                .withRetention(retention))
                .toStream(Named.as(Names.spend(kind) + "-updates"))
                .map((window, agg) -> {
                    agg.setScope(window.key());
                    agg.setWindowKind(kind);
                    agg.setWindowStart(Instant.ofEpochMilli(window.window().start()));
                    // A window store knows only a window's start; a month's end is its own, not start + size.
                    long end = kind == WindowKind.MONTH ? CalendarMonthWindows.monthOf(window.window().start()).end()
                            : window.window().end();
                    agg.setWindowEnd(Instant.ofEpochMilli(end));
                    return KeyValue.pair(SpendAggregates.key(window.key(), kind, agg.getWindowStart()), agg);
                }, Named.as(Names.spend(kind) + "-keyed"));
    }
}
