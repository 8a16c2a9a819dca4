package dev.tokenmin.schemas.serde;

import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.registry.SubjectNameStrategy;

import java.util.Map;

/**
 * The serdes' settings, under the names Confluent's serializers use, so producer and consumer configurations
 * carry over: {@code schema.registry.url} and the other {@link SchemaRegistryConfig} keys,
 * {@code auto.register.schemas} (default true), {@code key.subject.name.strategy} and
 * {@code value.subject.name.strategy} (default topic_name), and for deserializers built by Kafka from
 * configuration, {@code specific.avro.key.type} / {@code specific.avro.value.type}.
 */
record AvroSerdeConfig(SchemaRegistryConfig registry, boolean autoRegister, SubjectNameStrategy subjectStrategy,
                       String specificType) {

    static final String AUTO_REGISTER = "auto.register.schemas";
    static final String KEY_SUBJECT_STRATEGY = "key.subject.name.strategy";
    static final String VALUE_SUBJECT_STRATEGY = "value.subject.name.strategy";
    static final String KEY_TYPE = "specific.avro.key.type";
    static final String VALUE_TYPE = "specific.avro.value.type";

    static AvroSerdeConfig from(Map<String, ?> configs, boolean isKey) {
        SchemaRegistryConfig registry = SchemaRegistryConfig.fromProperties(configs);
        Object auto = configs.get(AUTO_REGISTER);
        boolean autoRegister = auto == null || Boolean.parseBoolean(auto.toString().strip());
        Object strategy = configs.get(isKey ? KEY_SUBJECT_STRATEGY : VALUE_SUBJECT_STRATEGY);
        SubjectNameStrategy subjectStrategy = strategy == null ? SubjectNameStrategy.TOPIC_NAME
                : strategy instanceof Class<?> c ? SubjectNameStrategy.parse(c.getName())
                : SubjectNameStrategy.parse(strategy.toString());
        Object type = configs.get(isKey ? KEY_TYPE : VALUE_TYPE);
        String specificType = type == null ? null : type instanceof Class<?> c ? c.getName() : type.toString().strip();
        return new AvroSerdeConfig(registry, autoRegister, subjectStrategy, specificType);
    }
}
