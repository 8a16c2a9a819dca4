package dev.tokenmin.schemas.contract;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.schemas.ReleasedSchemas;
import dev.tokenmin.schemas.Topics;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Guards evolution: {@code src/main/resources/dev/tokenmin/schemas/released/<Record>/v<N>.avsc} keeps every released version of each
 * topic's schema, and the current schema must read data written with each of them (BACKWARD, the registry's rule).
 * To release a changed schema, save its full JSON as the next version; a record without any released version fails
 * here with the JSON to save.
 */
class SchemaEvolutionTest {

    @TestFactory
    List<DynamicTest> currentSchemasReadEveryReleasedVersion() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Class<? extends SpecificRecord> type : Topics.VALUE_TYPES.values()) {
            Schema current = SpecificData.get().getSchema(type);
            tests.add(DynamicTest.dynamicTest(current.getName(), () -> {
                List<Schema> released = ReleasedSchemas.of(current);
                if (released.isEmpty()) {
                    fail("no released version of " + current.getName() + ": save this as src/main/resources/dev/tokenmin/"
                            + "schemas/" + ReleasedSchemas.path(current.getName(), 1)
                            + " (pretty-printing it is fine):\n" + current);
                }
                for (int i = 0; i < released.size(); i++) {
                    SchemaCompatibility.SchemaPairCompatibility result =
                            SchemaCompatibility.checkReaderWriterCompatibility(current, released.get(i));
                    assertThat(result.getType())
                            .as("%s reads data written with released v%d: %s", current.getName(), i + 1,
                                    result.getResult().getIncompatibilities())
                            .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
                }
            }));
        }
        return tests;
    }

    @Test
    void shouldCatchANewRequiredFieldAsIncompatible() {
        Schema released = UsageEvent.getClassSchema();
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : released.getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        fields.add(new Schema.Field("region", SchemaBuilder.builder().stringType(), "a new required field"));
        Schema changed = Schema.createRecord(released.getName(), released.getDoc(), released.getNamespace(), false,
                fields);

        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(changed, released).getType())
                .isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
    }
}
