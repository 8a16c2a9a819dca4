package dev.tokenmin.schemas;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TopicsTest {

    @Test
    void shouldNameEveryTopicOnceWithAVersionAndOnlyCharactersKafkaAccepts() {
        assertThat(Topics.ALL).doesNotHaveDuplicates().hasSize(9);
        assertThat(Topics.ALL).allSatisfy(topic -> assertThat(topic)
                .matches("tokenmin\\.[a-z.]+\\.v\\d+")
                .hasSizeLessThan(250));
    }

    @Test
    void shouldGiveEveryTopicItsDesignedPolicy() {
        assertThat(Topics.CONFIGS).containsOnlyKeys(Topics.ALL);
        assertThat(Topics.CONFIGS.get(Topics.THROTTLE)).containsEntry("cleanup.policy", "compact");
        assertThat(Topics.CONFIGS.get(Topics.USAGE)).containsEntry("retention.ms", "604800000");
        assertThat(Topics.CONFIGS.get(Topics.ALERTS)).containsEntry("retention.ms", "2592000000");
    }
}
