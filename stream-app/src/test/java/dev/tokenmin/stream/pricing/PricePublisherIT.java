package dev.tokenmin.stream.pricing;

import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import dev.tokenmin.schemas.pricing.PriceKeys;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import dev.tokenmin.stream.kafka.TopicAdmin;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Publishing the catalog to the real broker and registry, twice. */
@ExtendWith(LocalStackExtension.class)
class PricePublisherIT {

    @Test
    void shouldPublishOnlyWhatChanged(Stack stack, TestNames names) throws Exception {
        String topic = names.topic("prices");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
                    .all().get();
        }
        Map<String, Object> kafka = Map.of("bootstrap.servers", stack.kafkaBootstrapServers());
        PriceCatalog bundled = PriceCatalog.bundled();

        PricePublisher.Summary first = PricePublisher.publish(bundled, topic, kafka, stack.schemaRegistryUrl());
        PricePublisher.Summary again = PricePublisher.publish(bundled, topic, kafka, stack.schemaRegistryUrl());
        List<PriceEntry> edited = new ArrayList<>(bundled.entries());
        PriceEntry cheaper = PriceEntry.newBuilder(edited.getFirst()).setOutputNanosPerMtok(1).build();
        edited.set(0, cheaper);
        PriceEntry dropped = edited.removeLast();
        PricePublisher.Summary third = PricePublisher.publish(new PriceCatalog("edited", edited), topic, kafka,
                stack.schemaRegistryUrl());

        int n = bundled.entries().size();
        assertThat(first).isEqualTo(new PricePublisher.Summary(n, 0, 0, 0));
        assertThat(again).isEqualTo(new PricePublisher.Summary(0, 0, 0, n));
        assertThat(third).isEqualTo(new PricePublisher.Summary(0, 1, 1, n - 2));
        try (SchemaRegistryClient registry = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()));
             ConfluentAvroSerde<PriceEntry> serde = ConfluentAvroSerde.of(PriceEntry.class, registry, false)) {
            Map<String, PriceEntry> onTopic = TopicAdmin.readCompacted(topic, kafka, serde.deserializer());
            assertThat(onTopic).hasSize(n - 1).doesNotContainKey(PriceKeys.key(dropped));
            assertThat(onTopic.get(PriceKeys.key(cheaper)).getOutputNanosPerMtok()).isEqualTo(1);
        }
    }
}
