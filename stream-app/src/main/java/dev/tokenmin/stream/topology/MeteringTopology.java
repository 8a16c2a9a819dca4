package dev.tokenmin.stream.topology;

import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.avro.WindowKind;
import dev.tokenmin.schemas.scope.ScopeKey;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.dedup.DedupProcessor;
import dev.tokenmin.stream.pricing.PricingProcessor;
import dev.tokenmin.stream.serde.StreamSerdes;
import dev.tokenmin.stream.spend.CalendarMonthWindows;
import dev.tokenmin.stream.spend.SpendAggregates;
import dev.tokenmin.stream.usage.OccurredAtExtractor;
import dev.tokenmin.stream.usage.ValidateProcessor;
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
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * tokenmin's metering topology: usage events are validated (invalid ones to the dead-letter topic),
 * deduplicated by event id, priced with the price in force at their event time, and written to the priced topic;
 * then their spend is summed per scope and window and written to the spend topic.
 * Built without side effects from its configuration and serdes; {@code StreamApp} runs it.
 */
public final class MeteringTopology {

    private MeteringTopology() {
    }

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

        spend(config, serdes, priced);
        return builder.build();
    }

    /**
     * Spend per scope: every priced event counts once in each of its scopes (global, customer, customer/user,
     * customer/feature, customer/team, session), over tumbling event-time windows of a minute, an hour and a day,
     * calendar months (UTC), and a session's whole life; each update goes to the spend topic.
     */
    private static void spend(StreamAppConfig config, StreamSerdes serdes, KStream<String, PricedUsage> priced) {
        KStream<String, PricedUsage> byScope = priced
                .flatMap((eventId, p) -> {
                    UsageEvent e = p.getEvent();
                    List<KeyValue<String, PricedUsage>> out = new ArrayList<>(6);
                    for (ScopeKey scope : ScopeKey.ofRequest(e.getCustomerId(), e.getUserId(), e.getFeature(),
                            e.getTeam(), e.getSessionId())) {
                        out.add(KeyValue.pair(scope.toString(), p));
                    }
                    return out;
                }, Named.as(Names.FAN_OUT))
                .repartition(Repartitioned.with(Serdes.String(), serdes.priced()).withName(Names.BY_SCOPE));
        KGroupedStream<String, PricedUsage> grouped = byScope.groupByKey(
                Grouped.with(Names.BY_SCOPE + "-grouped", Serdes.String(), serdes.priced()));
        Duration grace = config.grace();
        windowed(grouped, WindowKind.MINUTE, TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), grace),
                Duration.ofDays(1), serdes).to(config.topics().spend(), spendSink(serdes, WindowKind.MINUTE));
        windowed(grouped, WindowKind.HOUR, TimeWindows.ofSizeAndGrace(Duration.ofHours(1), grace),
                Duration.ofDays(8), serdes).to(config.topics().spend(), spendSink(serdes, WindowKind.HOUR));
        windowed(grouped, WindowKind.DAY, TimeWindows.ofSizeAndGrace(Duration.ofDays(1), grace),
                Duration.ofDays(40), serdes).to(config.topics().spend(), spendSink(serdes, WindowKind.DAY));
        windowed(grouped, WindowKind.MONTH, CalendarMonthWindows.withGrace(grace), Duration.ofDays(400), serdes)
                .to(config.topics().spend(), spendSink(serdes, WindowKind.MONTH));

        byScope.filter((scope, p) -> scope.startsWith("session:"), Named.as(Names.SESSIONS_ONLY))
                .groupByKey(Grouped.with(Names.SESSIONS_ONLY + "-grouped", Serdes.String(), serdes.priced()))
                .aggregate(SpendAggregates::empty, (scope, p, agg) -> {
                    SpendAggregate sum = SpendAggregates.add(agg, p);
                    Instant at = p.getEvent().getOccurredAt();
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
                                .withValueSerde(serdes.spend()))
                .toStream(Named.as(Names.spend(WindowKind.SESSION) + "-updates"))
                .map((scope, agg) -> KeyValue.pair(SpendAggregates.key(scope, WindowKind.SESSION,
                        agg.getWindowStart()), agg), Named.as(Names.spend(WindowKind.SESSION) + "-keyed"))
                .to(config.topics().spend(), spendSink(serdes, WindowKind.SESSION));
    }

    private static Produced<String, SpendAggregate> spendSink(StreamSerdes serdes, WindowKind kind) {
        return Produced.with(Serdes.String(), serdes.spend()).withName(Names.spend(kind) + "-sink");
    }

    private static <W extends Window> KStream<String, SpendAggregate> windowed(
            KGroupedStream<String, PricedUsage> grouped, WindowKind kind, Windows<W> windows, Duration retention,
            StreamSerdes serdes) {
        return grouped.windowedBy(windows)
                .aggregate(SpendAggregates::empty, (scope, p, agg) -> SpendAggregates.add(agg, p),
                        Named.as(Names.spend(kind)),
                        Materialized.<String, SpendAggregate, WindowStore<Bytes, byte[]>>as(Names.spendStore(kind))
                                .withKeySerde(Serdes.String()).withValueSerde(serdes.spend())
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
