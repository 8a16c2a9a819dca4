package dev.tokenmin.stream.topology;

import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.dedup.DedupProcessor;
import dev.tokenmin.stream.pricing.PricingProcessor;
import dev.tokenmin.stream.serde.StreamSerdes;
import dev.tokenmin.stream.usage.OccurredAtExtractor;
import dev.tokenmin.stream.usage.ValidateProcessor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * tokenmin's metering topology: usage events are validated (invalid ones to the dead-letter topic),
 * deduplicated by event id, priced with the price in force at their event time, and written to the priced topic.
 * Built without side effects from its configuration and serdes; {@code StreamApp} runs it.
 */
public final class MeteringTopology {

    private MeteringTopology() {
    }

    public static Topology build(StreamAppConfig config, StreamSerdes serdes) {
        StreamsBuilder builder = new StreamsBuilder();
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
        usage.processValues(ValidateProcessor::new, Named.as(Names.VALIDATE))
                .processValues(() -> new DedupProcessor(Names.DEDUP_STORE, config.dedupHorizon()),
                        Named.as(Names.DEDUP), Names.DEDUP_STORE)
                .processValues(() -> new PricingProcessor(Names.PRICES_STORE), Named.as(Names.PRICE))
                .to(config.topics().priced(), Produced.with(Serdes.String(), serdes.priced())
                        .withName(Names.PRICED_SINK));
        return builder.build();
    }
}
