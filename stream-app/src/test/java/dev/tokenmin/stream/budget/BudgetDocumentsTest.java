package dev.tokenmin.stream.budget;

import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.BudgetPeriod;
import dev.tokenmin.avro.LimitUnit;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.schemas.validation.FieldError;
import dev.tokenmin.schemas.validation.InvalidUsageException;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class BudgetDocumentsTest {

    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

    @Test
    void shouldReadAFileOfBudgetsInUsdAndTokens() {
        List<Budget> budgets = BudgetDocuments.parseFile("""
                budgets:
                  - budget_id: acme-monthly
                    scope: customer:acme
                    period: month
                    time_zone: Europe/Berlin
                    limit_usd: "250.50"
                    hard: true
                    ladder:
                      - {threshold_percent: 80, action: downgrade, max_model_tier: small}
                      - {threshold_percent: 100, action: block}
                  - budget_id: loop-cap
                    scope: session:s-1
                    period: session
                    limit_tokens: 200000
                """, NOW);

        assertThat(budgets).hasSize(2);
        Budget acme = budgets.get(0);
        assertThat(acme.getLimitUnit()).isEqualTo(LimitUnit.NANO_USD);
        assertThat(acme.getLimit()).isEqualTo(250_500_000_000L);
        assertThat(acme.getLadder()).extracting(s -> s.getAction()).containsExactly(ThrottleAction.DOWNGRADE,
                ThrottleAction.BLOCK);
        assertThat(acme.getUpdatedAt()).isEqualTo(NOW);
        Budget loop = budgets.get(1);
        assertThat(loop.getPeriod()).isEqualTo(BudgetPeriod.SESSION);
        assertThat(loop.getLimitUnit()).isEqualTo(LimitUnit.TOKENS);
        assertThat(loop.getHard()).isFalse();
        assertThat(loop.getTimeZone()).isEqualTo("UTC");

        // What the API and `budgets list` show can be written back as it is.
        assertThat(BudgetDocuments.parse(BudgetDocuments.toJson(acme), "", NOW)).isEqualTo(acme);
    }

    @Test
    void shouldNameEveryFieldAtFaultWithItsPlaceInTheFile() {
        InvalidUsageException e = catchThrowableOfType(InvalidUsageException.class, () -> BudgetDocuments.parseFile("""
                - budget_id: ok
                  scope: customer:acme
                  period: month
                  limit_usd: "10"
                - budget_id: bad
                  scope: customer:acme
                  period: fortnight
                  limit_usd: "10"
                  limit_tokens: 5
                  colour: red
                  ladder:
                    - {threshold_percent: 80, action: throttle}
                - budget_id: worse
                  scope: "customer:acme/user:"
                  period: day
                  time_zone: Mars/Olympus
                  limit_usd: "-1"
                """, NOW));

        assertThat(e.errors()).extracting(FieldError::field).containsExactlyInAnyOrder(
                "budgets[1].colour", "budgets[1].period", "budgets[1].limit_usd", "budgets[1].ladder[0].action",
                "budgets[2].scope", "budgets[2].time_zone", "budgets[2].limit_usd");
    }
}
