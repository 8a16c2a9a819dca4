package dev.tokenmin.schemas.scope;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScopeKeyTest {

    @ParameterizedTest
    @ValueSource(strings = {"global", "customer:acme", "customer:acme/user:u1", "customer:acme/feature:summarize",
            "customer:acme/team:ml", "session:s-42", "customer:acme/user:h:0f3a9c"})
    void shouldReadAndWriteTheSameCanonicalText(String text) {
        assertThat(ScopeKey.parse(text).toString()).isEqualTo(text);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''|scope: must not be empty",
            "tenant:acme|must start with global, customer: or session:",
            "customer:acme/bogus:x|unknown kind \"bogus\"",
            "customer:|customer id \"\" is not",
            "customer:acme/user:|user id \"\" is not",
            "customer:ac me|customer id \"ac me\" is not",
            "customer:acme/feature|\"feature\" lacks kind:id",
            "session:|session id \"\" is not"})
    void shouldNameThePartAtFault(String text, String message) {
        assertThatThrownBy(() -> ScopeKey.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void shouldListTheScopesThatContainAUserNarrowestFirst() {
        assertThat(ScopeKey.parse("customer:acme/user:u1").withParents()).extracting(ScopeKey::toString)
                .containsExactly("customer:acme/user:u1", "customer:acme", "global");
        assertThat(ScopeKey.session("s-1").withParents()).extracting(ScopeKey::toString)
                .containsExactly("session:s-1", "global");
        assertThat(ScopeKey.GLOBAL.withParents()).containsExactly(ScopeKey.GLOBAL);
    }

    @Test
    void shouldListEveryScopeOfARequestAndLeaveOutAbsentParts() {
        assertThat(ScopeKey.ofRequest("acme", "u1", "summarize", "ml", "s-42")).extracting(ScopeKey::toString)
                .containsExactly("global", "customer:acme", "customer:acme/user:u1", "customer:acme/feature:summarize",
                        "customer:acme/team:ml", "session:s-42");
        assertThat(ScopeKey.ofRequest("acme", null, "summarize", null, null)).extracting(ScopeKey::toString)
                .containsExactly("global", "customer:acme", "customer:acme/feature:summarize");
        assertThat(ScopeKey.ofRequest(null, "u1", null, null, "s-1")).extracting(ScopeKey::toString)
                .containsExactly("global", "session:s-1");
        assertThatThrownBy(() -> ScopeKey.ofRequest("acme", "a b", null, null, null))
                .hasMessageContaining("user id \"a b\" is not");
    }
}
