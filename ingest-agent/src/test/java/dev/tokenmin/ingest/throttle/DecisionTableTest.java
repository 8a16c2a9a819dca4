package dev.tokenmin.ingest.throttle;

import dev.tokenmin.avro.LimitUnit;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.ThrottleDecision;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class DecisionTableTest {

    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
    private static final RequestContext REQUEST = new RequestContext("acme", "u1", "summarize", "ml", "s-1");

    private final DecisionTable table = new DecisionTable();

    static ThrottleDecision decision(String scope, ThrottleAction action, Long maxInput, Instant periodEnd) {
        return ThrottleDecision.newBuilder().setScope(scope).setAction(action)
                .setMaxModelTier(action == ThrottleAction.NONE ? null : "small").setMaxInputTokens(maxInput)
                .setReason("budget b-1 at 90%").setBudgetId("b-1").setSpent(90).setLimit(100)
                .setLimitUnit(LimitUnit.NANO_USD).setPeriodEnd(periodEnd).setDecidedAt(NOW.minusSeconds(60)).build();
    }

    @Test
    void shouldAnswerTheStrictestDecisionOverTheRequestsScopes() {
        table.put("customer:acme", decision("customer:acme", ThrottleAction.DOWNGRADE, null, null));
        table.put("customer:acme/user:u1", decision("customer:acme/user:u1", ThrottleAction.LIMIT_CONTEXT, 8000L, null));
        table.put("customer:other", decision("customer:other", ThrottleAction.BLOCK, null, null));

        ThrottleVerdict verdict = table.verdict(REQUEST.scopes(), NOW);

        assertThat(verdict.action()).isEqualTo(ThrottleAction.LIMIT_CONTEXT);
        assertThat(verdict.strictest().getScope()).isEqualTo("customer:acme/user:u1");
        assertThat(verdict.active()).extracting(ThrottleDecision::getScope)
                .containsExactly("customer:acme/user:u1", "customer:acme");
    }

    @Test
    void shouldPreferTheLowerContextCapBetweenEquallyHarshDecisions() {
        table.put("customer:acme/feature:summarize",
                decision("customer:acme/feature:summarize", ThrottleAction.LIMIT_CONTEXT, 4000L, null));
        table.put("session:s-1", decision("session:s-1", ThrottleAction.LIMIT_CONTEXT, 2000L, null));

        assertThat(table.verdict(REQUEST.scopes(), NOW).strictest().getScope()).isEqualTo("session:s-1");
    }

    @Test
    void shouldLiftARestrictionOnTombstoneOrNone() {
        table.put("customer:acme", decision("customer:acme", ThrottleAction.BLOCK, null, null));
        table.put("session:s-1", decision("session:s-1", ThrottleAction.BLOCK, null, null));

        table.put("customer:acme", null);
        table.put("session:s-1", decision("session:s-1", ThrottleAction.NONE, null, null));

        assertThat(table.verdict(REQUEST.scopes(), NOW)).isEqualTo(ThrottleVerdict.NONE);
        assertThat(table.size()).isZero();
    }

    @Test
    void shouldLiftADecisionWhenItsPeriodEnds() {
        Instant monthEnd = Instant.parse("2026-12-01T00:00:00Z");
        table.put("customer:acme", decision("customer:acme", ThrottleAction.BLOCK, null, monthEnd));

        assertThat(table.verdict(REQUEST.scopes(), monthEnd.minusMillis(1)).action()).isEqualTo(ThrottleAction.BLOCK);
        assertThat(table.verdict(REQUEST.scopes(), monthEnd).action()).isEqualTo(ThrottleAction.NONE);
        assertThat(table.removeEnded(monthEnd)).containsOnlyKeys("customer:acme");
        assertThat(table.size()).isZero();
    }

    @Test
    void shouldIgnoreDecisionsOfScopesTheRequestIsNotIn() {
        table.put("customer:acme/user:u2", decision("customer:acme/user:u2", ThrottleAction.BLOCK, null, null));
        table.put("customer:acme/team:infra", decision("customer:acme/team:infra", ThrottleAction.BLOCK, null, null));

        assertThat(table.verdict(REQUEST.scopes(), NOW).action()).isEqualTo(ThrottleAction.NONE);
    }
}
