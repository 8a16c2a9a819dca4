package dev.tokenmin.schemas.registry;

import org.apache.avro.Schema;

import java.util.Locale;

/**
 * How the subject a schema is registered under is named, as Confluent's serializers name it, so that producers in
 * any language agree on subjects.
 */
public enum SubjectNameStrategy {

    /** {@code <topic>-key} or {@code <topic>-value}: one record type per topic (the default). */
    TOPIC_NAME("io.confluent.kafka.serializers.subject.TopicNameStrategy"),
    /** The record's full name, e.g. {@code dev.tokenmin.avro.UsageEvent}: one evolution across all topics. */
    RECORD_NAME("io.confluent.kafka.serializers.subject.RecordNameStrategy"),
    /** {@code <topic>-<full record name>}: several record types on one topic, each evolving on its own. */
    TOPIC_RECORD_NAME("io.confluent.kafka.serializers.subject.TopicRecordNameStrategy");

    private final String confluentClassName;

    SubjectNameStrategy(String confluentClassName) {
        this.confluentClassName = confluentClassName;
    }

    /** The subject for a key or value of {@code topic} written with {@code schema}. */
    public String subject(String topic, boolean isKey, Schema schema) {
        return switch (this) {
            case TOPIC_NAME -> topic + (isKey ? "-key" : "-value");
            case RECORD_NAME -> schema.getFullName();
            case TOPIC_RECORD_NAME -> topic + "-" + schema.getFullName();
        };
    }

    /**
     * Reads a strategy from configuration: {@code topic_name}, {@code record_name}, {@code topic_record_name}
     * (any case), or Confluent's class name for it, so existing producer configurations carry over.
     */
    public static SubjectNameStrategy parse(String value) {
        String v = value.strip();
        for (SubjectNameStrategy s : values()) {
            if (s.name().equalsIgnoreCase(v) || s.confluentClassName.equals(v)
                    || s.confluentClassName.substring(s.confluentClassName.lastIndexOf('.') + 1).equals(v)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown subject name strategy \"" + value + "\"; use "
                + String.join(", ", java.util.Arrays.stream(values()).map(s -> s.name().toLowerCase(Locale.ROOT)).toList()));
    }
}
