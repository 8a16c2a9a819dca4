package dev.tokenmin.schemas.registry;

import dev.tokenmin.avro.UsageEvent;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SubjectNameStrategyTest {

    @Test
    void shouldNameSubjectsAsConfluentsSerializersDo() {
        var schema = UsageEvent.getClassSchema();

        assertThat(SubjectNameStrategy.TOPIC_NAME.subject("tokenmin.usage.v1", false, schema))
                .isEqualTo("tokenmin.usage.v1-value");
        assertThat(SubjectNameStrategy.TOPIC_NAME.subject("tokenmin.usage.v1", true, schema))
                .isEqualTo("tokenmin.usage.v1-key");
        assertThat(SubjectNameStrategy.RECORD_NAME.subject("tokenmin.usage.v1", false, schema))
                .isEqualTo("dev.tokenmin.avro.UsageEvent");
        assertThat(SubjectNameStrategy.TOPIC_RECORD_NAME.subject("tokenmin.usage.v1", false, schema))
                .isEqualTo("tokenmin.usage.v1-dev.tokenmin.avro.UsageEvent");
    }

    @Test
    void shouldAcceptOurNamesAndConfluentsClassNames() {
        assertThat(SubjectNameStrategy.parse("record_name")).isEqualTo(SubjectNameStrategy.RECORD_NAME);
        assertThat(SubjectNameStrategy.parse("io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"))
                .isEqualTo(SubjectNameStrategy.TOPIC_RECORD_NAME);
        assertThat(SubjectNameStrategy.parse("TopicNameStrategy")).isEqualTo(SubjectNameStrategy.TOPIC_NAME);
        assertThatThrownBy(() -> SubjectNameStrategy.parse("by_magic"))
                .hasMessageContaining("by_magic").hasMessageContaining("topic_record_name");
    }
}
