package dev.tokenmin.stream.serde;

import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.topology.ScopeInput;
import org.apache.kafka.common.serialization.Serde;

/**
 * The value serdes of every topic and store, passed to the topology explicitly (no default serdes). In production
 * they speak Confluent's wire format through the registry; unit tests give serdes that need no registry.
 */
public record StreamSerdes(Serde<UsageEvent> usage, Serde<PriceEntry> price, Serde<PricedUsage> priced,
                           Serde<SpendAggregate> spend, Serde<Budget> budget, Serde<ThrottleDecision> decision,
                           Serde<Alert> alert) {

    /** Confluent-format serdes through {@code registry}; schemas are registered by the app on first use. */
    public static StreamSerdes withRegistry(SchemaRegistryClient registry) {
        return new StreamSerdes(ConfluentAvroSerde.of(UsageEvent.class, registry, false),
                ConfluentAvroSerde.of(PriceEntry.class, registry, false),
                ConfluentAvroSerde.of(PricedUsage.class, registry, false),
                ConfluentAvroSerde.of(SpendAggregate.class, registry, false),
                ConfluentAvroSerde.of(Budget.class, registry, false),
                ConfluentAvroSerde.of(ThrottleDecision.class, registry, false),
                ConfluentAvroSerde.of(Alert.class, registry, false));
    }

    /** The by-scope topic's envelope; budgets in it take the budgets topic's format. */
    public Serde<ScopeInput> scopeInput(TopicNames topics) {
        return new ScopeInputSerde(budget, topics.budgets());
    }
}
