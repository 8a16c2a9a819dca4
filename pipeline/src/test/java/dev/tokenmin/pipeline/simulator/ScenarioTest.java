package dev.tokenmin.pipeline.simulator;

import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.stream.budget.BudgetDocuments;
import dev.tokenmin.stream.budget.BudgetValidator;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ScenarioTest {

    private final Scenario scenario = Scenario.standard();

    @Test
    void itsBudgetsAreValidHardAndLadderedAsTheScriptSays() {
        Instant now = Instant.parse("2026-11-22T12:00:00Z");
        List<Budget> budgets = scenario.budgets(ZoneId.of("UTC")).stream()
                .map(json -> BudgetDocuments.parse(json, "budget", now)).toList();
        budgets.forEach(BudgetValidator::validate);
        Budget user = budgets.getFirst();
        assertThat(user.getScope()).isEqualTo("customer:acme/user:u-0042");
        assertThat(user.getHard()).isTrue();
        assertThat(user.getLadder()).extracting(s -> s.getAction()).containsExactly(ThrottleAction.DOWNGRADE,
                ThrottleAction.LIMIT_CONTEXT, ThrottleAction.BLOCK);
        Budget session = budgets.get(1);
        assertThat(session.getScope()).isEqualTo("session:globex-research-7781");
        assertThat(session.getLadder()).extracting(s -> s.getAction()).containsExactly(ThrottleAction.BLOCK);
    }

    @Test
    void theMonthlyBudgetFollowsUtcUnlessTheSpanCrossesTheStartOfAUtcMonth() {
        assertThat(Scenario.budgetZone(Instant.parse("2026-11-22T08:00:00Z"), Instant.parse("2026-11-22T16:00:00Z")))
                .isEqualTo(ZoneId.of("UTC"));
        // 20:00 on 30 November to 04:00 on 1 December UTC is all November in Pago Pago (UTC-11).
        ZoneId west = Scenario.budgetZone(Instant.parse("2026-11-30T20:00:00Z"),
                Instant.parse("2026-12-01T04:00:00Z"));
        assertThat(west).isEqualTo(ZoneId.of("Pacific/Pago_Pago"));
        // 08:00 on 30 November to 12:00 on 1 December: no zone of the three holds it in one month; UTC then.
        assertThat(Scenario.budgetZone(Instant.parse("2026-11-30T08:00:00Z"), Instant.parse("2026-12-01T12:00:00Z")))
                .isEqualTo(ZoneId.of("UTC"));
        // 14:00 on 30 November to 09:00 on 1 December UTC is all December in Kiritimati.
        assertThat(Scenario.budgetZone(Instant.parse("2026-11-30T14:00:00Z"), Instant.parse("2026-12-01T12:00:00Z")))
                .isEqualTo(ZoneId.of("Pacific/Kiritimati"));
    }

    @Test
    void theScriptNamesEachIncidentAtItsTime() {
        assertThat(scenario.script()).hasSize(3);
        assertThat(scenario.script().get(0)).startsWith("+0:15 acme/u-0042");
        assertThat(scenario.script().get(2)).startsWith("+4:00 summarize prompts grow 4x for 60 min");
        assertThat(scenario.length()).hasHours(5);
    }
}
