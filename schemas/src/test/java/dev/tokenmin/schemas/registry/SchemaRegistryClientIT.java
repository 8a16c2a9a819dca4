package dev.tokenmin.schemas.registry;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import dev.tokenmin.schemas.Topics;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client against the real registry (Apicurio's Confluent-compatible API, BACKWARD by default). */
@ExtendWith(LocalStackExtension.class)
class SchemaRegistryClientIT {

    private static Schema withExtraField(Schema base, Schema.Field extra) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : base.getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        fields.add(extra);
        return Schema.createRecord(base.getName(), base.getDoc(), base.getNamespace(), false, fields);
    }

    @Test
    void shouldRegisterEverySchemaOfEveryTopicAndFindItAgain(Stack stack, TestNames names) {
        try (SchemaRegistryClient client = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()))) {
            for (Map.Entry<String, Class<? extends SpecificRecord>> topic : Topics.VALUE_TYPES.entrySet()) {
                Schema schema = SpecificData.get().getSchema(topic.getValue());
                String subject = SubjectNameStrategy.TOPIC_NAME.subject(names.topic(topic.getKey()), false, schema);

                int id = client.register(subject, schema);

                SchemaRegistryClient.RegisteredSchema found = client.lookup(subject, schema);
                assertThat(found.id()).as(subject).isEqualTo(id);
                assertThat(found.version()).as(subject).isEqualTo(1);
                try (SchemaRegistryClient fresh = new SchemaRegistryClient(
                        SchemaRegistryConfig.of(stack.schemaRegistryUrl()))) {
                    assertThat(fresh.getById(id)).as("schema %d read back by a new client", id).isEqualTo(schema);
                }
            }
        }
    }

    @Test
    void shouldAllowAnOptionalFieldAndRefuseANewRequiredOne(Stack stack, TestNames names) {
        try (SchemaRegistryClient client = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()))) {
            String subject = names.subject("usage-value");
            Schema v1 = UsageEvent.getClassSchema();
            client.register(subject, v1);
            Schema optional = withExtraField(v1, new Schema.Field("region",
                    SchemaBuilder.builder().unionOf().nullType().and().stringType().endUnion(), "optional",
                    Schema.Field.NULL_DEFAULT_VALUE));
            Schema required = withExtraField(v1, new Schema.Field("region",
                    SchemaBuilder.builder().stringType(), "required"));

            assertThat(client.compatibility(subject)).isEqualTo("BACKWARD");
            assertThat(client.isCompatible(subject, optional)).isTrue();
            assertThat(client.isCompatible(subject, required)).isFalse();
            client.register(subject, optional);
            assertThat(client.versions(subject)).containsExactly(1, 2);
            assertThatThrownBy(() -> client.register(subject, required))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining("subject '" + subject + "'")
                    .hasMessageContaining("HTTP 409")
                    .satisfies(e -> assertThat(((SchemaRegistryException) e).errorCode())
                            .isEqualTo(SchemaRegistryException.INCOMPATIBLE_SCHEMA));

            client.setCompatibility(subject, "NONE");
            assertThat(client.compatibility(subject)).isEqualTo("NONE");
            assertThat(client.isCompatible(subject, required)).isTrue();
        }
    }

    @Test
    void shouldNameTheMissingIdOrSubjectWithTheRegistrysCode(Stack stack, TestNames names) {
        try (SchemaRegistryClient client = new SchemaRegistryClient(SchemaRegistryConfig.of(stack.schemaRegistryUrl()))) {
            assertThatThrownBy(() -> client.getById(987_654_321))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining("schema id 987654321")
                    .satisfies(e -> assertThat(((SchemaRegistryException) e).errorCode())
                            .isEqualTo(SchemaRegistryException.SCHEMA_NOT_FOUND));
            String subject = names.subject("never-registered");
            assertThatThrownBy(() -> client.lookup(subject, UsageEvent.getClassSchema()))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining(subject)
                    .satisfies(e -> assertThat(((SchemaRegistryException) e).errorCode())
                            .isIn(SchemaRegistryException.SUBJECT_NOT_FOUND, SchemaRegistryException.SCHEMA_NOT_FOUND));
        }
    }
}
