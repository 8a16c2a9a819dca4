package dev.tokenmin.schemas.contract;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.schemas.Topics;
import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Rules every schema on tokenmin's topics keeps, checked over every record, field and nested type. */
class SchemaContractTest {

    /** Names that suggest model input or output text, which tokenmin never carries. */
    private static final Pattern CONTENT_NAMES = Pattern.compile(
            ".*(prompt|completion|content|text|body|message|transcript|response).*");

    private static List<Schema> allNamedTypes() {
        Map<Schema, Boolean> seen = new IdentityHashMap<>();
        for (Class<? extends SpecificRecord> type : Topics.VALUE_TYPES.values()) {
            collect(SpecificData.get().getSchema(type), seen);
        }
        return new ArrayList<>(seen.keySet());
    }

    private static void collect(Schema schema, Map<Schema, Boolean> seen) {
        switch (schema.getType()) {
            case RECORD -> {
                if (seen.put(schema, true) == null) {
                    schema.getFields().forEach(f -> collect(f.schema(), seen));
                }
            }
            case ENUM -> seen.put(schema, true);
            case UNION -> schema.getTypes().forEach(t -> collect(t, seen));
            case ARRAY -> collect(schema.getElementType(), seen);
            case MAP -> collect(schema.getValueType(), seen);
            default -> {
            }
        }
    }

    @Test
    void shouldDocumentEveryTypeAndEveryField() {
        List<String> undocumented = new ArrayList<>();
        for (Schema schema : allNamedTypes()) {
            if (schema.getDoc() == null || schema.getDoc().isBlank()) {
                undocumented.add(schema.getFullName());
            }
            if (schema.getType() == Schema.Type.RECORD) {
                for (Schema.Field field : schema.getFields()) {
                    if (field.doc() == null || field.doc().isBlank()) {
                        undocumented.add(schema.getName() + "." + field.name());
                    }
                }
            }
        }
        assertThat(undocumented).isEmpty();
        assertThat(allNamedTypes()).extracting(Schema::getNamespace).containsOnly("dev.tokenmin.avro");
    }

    @Test
    void shouldHaveNoFieldThatCouldCarryPromptOrCompletionText() {
        List<String> suspicious = new ArrayList<>();
        for (Schema schema : allNamedTypes()) {
            if (schema.getType() == Schema.Type.RECORD) {
                for (Schema.Field field : schema.getFields()) {
                    if (CONTENT_NAMES.matcher(field.name()).matches()) {
                        suspicious.add(schema.getName() + "." + field.name());
                    }
                }
            }
        }
        assertThat(suspicious).isEmpty();
    }

    @Test
    void shouldGiveEveryOptionalFieldANullDefaultSoOldAndNewReadersInteroperate() {
        List<String> wrong = new ArrayList<>();
        for (Schema schema : allNamedTypes()) {
            if (schema.getType() != Schema.Type.RECORD) {
                continue;
            }
            for (Schema.Field field : schema.getFields()) {
                Schema type = field.schema();
                if (type.getType() == Schema.Type.UNION && type.getTypes().stream()
                        .anyMatch(t -> t.getType() == Schema.Type.NULL)) {
                    boolean nullFirst = type.getTypes().getFirst().getType() == Schema.Type.NULL;
                    if (!nullFirst || field.defaultVal() != JsonProperties.NULL_VALUE) {
                        wrong.add(schema.getName() + "." + field.name());
                    }
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void shouldCarryWhatEveryGatewayReportsAboutACall() {
        assertThat(UsageEvent.getClassSchema().getFields()).extracting(Schema.Field::name).contains(
                "event_id", "occurred_at", "source", "request_id", "customer_id", "user_id", "feature", "team",
                "session_id", "agent_run_id", "provider", "model", "requested_model", "model_tier", "intent",
                "complexity", "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens",
                "reasoning_tokens", "latency_ms", "status", "labels");
        assertThat(UsageEvent.getClassSchema().getField("event_id").schema().getLogicalType().getName())
                .isEqualTo("uuid");
        assertThat(UsageEvent.getClassSchema().getField("occurred_at").schema().getLogicalType().getName())
                .isEqualTo("timestamp-millis");
        assertThat(UsageEvent.getClassSchema().getField("status").schema().getEnumSymbols())
                .containsExactly("OK", "ERROR", "CANCELLED", "THROTTLED");
    }
}
