package dev.tokenmin.schemas;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TopicsTest {

    @Test
    void shouldNameEveryTopicOnceWithAVersionAndOnlyCharactersKafkaAccepts() {
        assertThat(Topics.ALL).doesNotHaveDuplicates().hasSize(8);
        assertThat(Topics.ALL).allSatisfy(topic -> assertThat(topic)
                .matches("tokenmin\\.[a-z.]+\\.v\\d+")
                .hasSizeLessThan(250));
    }
}
