package dev.tokenmin.localstack.junit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TestNamesTest {

    @Test
    void shouldMakeNamesThatKafkaAndClickHouseAcceptAndThatDifferPerTest() {
        TestNames a = new TestNames("should do [1] thing, with ünïcode");
        TestNames b = new TestNames("should do [1] thing, with ünïcode");

        assertThat(a.topic("tokenmin.usage.v1")).matches("[A-Za-z0-9._-]+").hasSizeLessThan(250);
        assertThat(a.database()).matches("[a-z][a-z0-9_]*");
        assertThat(a.topic("t")).isNotEqualTo(b.topic("t"));
        assertThat(a.database()).isNotEqualTo(b.database());
    }
}
