package dev.tokenmin.stream.budget;

import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.BudgetPeriod;
import dev.tokenmin.avro.LadderStep;
import dev.tokenmin.avro.LimitUnit;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.schemas.validation.InvalidUsageException;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BudgetValidatorTest {

    static Budget monthly(String scope, String zone, List<LadderStep> ladder) {
        return Budget.newBuilder().setBudgetId("b-1").setScope(scope).setPeriod(BudgetPeriod.MONTH).setTimeZone(zone)
                .setLimitUnit(LimitUnit.NANO_USD).setLimit(100_000_000_000L).setHard(true).setLadder(ladder)
                .setUpdatedAt(Instant.parse("2026-11-01T00:00:00Z")).build();
    }

    static LadderStep step(int percent, ThrottleAction action, String tier, Long maxInput) {
        return LadderStep.newBuilder().setThresholdPercent(percent).setAction(action).setMaxModelTier(tier)
                .setMaxInputTokens(maxInput).build();
    }

    static final List<LadderStep> LADDER = List.of(step(80, ThrottleAction.DOWNGRADE, "small", null),
            step(90, ThrottleAction.LIMIT_CONTEXT, "small", 8_000L), step(100, ThrottleAction.BLOCK, null, null));

    @Test
    void shouldAcceptAHardMonthlyBudgetWithAnAscendingLadder() {
        assertThatCode(() -> BudgetValidator.validate(monthly("customer:acme/user:u1", "Europe/Berlin", LADDER)))
                .doesNotThrowAnyException();
    }

    @Test
    void shouldNameEveryFieldAtFault() {
        Budget bad = monthly("customer:acme/bogus:x", "Mars/Olympus", List.of(
                step(90, ThrottleAction.DOWNGRADE, null, null), step(80, ThrottleAction.LIMIT_CONTEXT, "small", null),
                step(100, ThrottleAction.NONE, null, null)));
        bad.setLimit(-5);

        assertThatThrownBy(() -> BudgetValidator.validate(bad)).isInstanceOf(InvalidUsageException.class)
                .hasMessageContaining("scope: scope \"customer:acme/bogus:x\": unknown kind \"bogus\"")
                .hasMessageContaining("time_zone: not an IANA time zone")
                .hasMessageContaining("limit: must be positive, was -5")
                .hasMessageContaining("ladder[0].max_model_tier: missing")
                .hasMessageContaining("ladder[1].threshold_percent: must be above the previous step's 90, was 80")
                .hasMessageContaining("ladder[1].max_input_tokens: must be a positive cap")
                .hasMessageContaining("ladder[2].action: one of downgrade, limit_context, block");
    }

    @Test
    void shouldTieSessionPeriodsToSessionScopes() {
        Budget session = monthly("customer:acme", "UTC", LADDER);
        session.setPeriod(BudgetPeriod.SESSION);
        Budget monthlySession = monthly("session:s-1", "UTC", LADDER);

        assertThatThrownBy(() -> BudgetValidator.validate(session)).hasMessageContaining("period: session periods need");
        assertThatThrownBy(() -> BudgetValidator.validate(monthlySession)).hasMessageContaining("use period session");
    }

    @Test
    void shouldFollowCalendarMonthsAndDaysInTheBudgetsTimeZone() {
        Budget berlin = monthly("customer:acme", "Europe/Berlin", LADDER);

        // 30 Nov 23:30 UTC is already 1 December in Berlin (UTC+1 in winter).
        BudgetPeriods.Period december = BudgetPeriods.of(berlin, Instant.parse("2026-11-30T23:30:00Z"));
        assertThat(december.start()).isEqualTo(Instant.parse("2026-11-30T23:00:00Z"));
        assertThat(december.end()).isEqualTo(Instant.parse("2026-12-31T23:00:00Z"));
        // October ends on summer time: the period is 31 days and one hour long.
        BudgetPeriods.Period october = BudgetPeriods.of(berlin, Instant.parse("2026-10-15T12:00:00Z"));
        assertThat(october.start()).isEqualTo(Instant.parse("2026-09-30T22:00:00Z"));
        assertThat(october.end()).isEqualTo(Instant.parse("2026-10-31T23:00:00Z"));

        Budget daily = monthly("customer:acme", "America/New_York", LADDER);
        daily.setPeriod(BudgetPeriod.DAY);
        BudgetPeriods.Period day = BudgetPeriods.of(daily, Instant.parse("2026-11-22T03:00:00Z"));
        assertThat(day.start()).isEqualTo(Instant.parse("2026-11-21T05:00:00Z"));
        assertThat(day.contains(Instant.parse("2026-11-22T04:59:59.999Z"))).isTrue();
        assertThat(day.contains(Instant.parse("2026-11-22T05:00:00Z"))).isFalse();

        Budget session = monthly("session:s-1", "UTC", LADDER);
        session.setPeriod(BudgetPeriod.SESSION);
        assertThat(BudgetPeriods.of(session, Instant.now()).end()).isNull();
    }
}
