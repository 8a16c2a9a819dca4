package dev.tokenmin.schemas;

import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.AlertKind;
import dev.tokenmin.avro.AnomalyCause;
import dev.tokenmin.avro.AnomalyDetail;
import dev.tokenmin.avro.AnomalyFactor;
import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.BudgetPeriod;
import dev.tokenmin.avro.Contributor;
import dev.tokenmin.avro.CostBreakdown;
import dev.tokenmin.avro.LadderStep;
import dev.tokenmin.avro.LimitUnit;
import dev.tokenmin.avro.ModelSpend;
import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.Severity;
import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.avro.UsageStatus;
import dev.tokenmin.avro.WindowKind;
import org.apache.avro.specific.SpecificRecord;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** One fully populated instance of every record on tokenmin's topics, for round-trip tests and benchmarks. */
public final class SampleRecords {

    private static final Instant AT = Instant.parse("2026-11-22T10:15:30.123Z");

    private SampleRecords() {
    }

    /** A typical call: a summarization routed from a large to a small model, with cache reads and reasoning. */
    public static UsageEvent usageEvent() {
        return UsageEvent.newBuilder()
                .setEventId(UUID.fromString("6f1c2b9e-5a8d-4c3e-9f70-2b1d4e6a8c01"))
                .setOccurredAt(AT)
                .setSource("gw-eu-1")
                .setRequestId("req_01JD7Q8X2V")
                .setCustomerId("acme")
                .setUserId("h:0f3a9c27d1e84b5a9c6d2e1f0a7b3c4d")
                .setFeature("summarize")
                .setTeam("ml")
                .setSessionId("s-42")
                .setAgentRunId("run-7")
                .setProvider("openai")
                .setModel("gpt-4.1-mini")
                .setRequestedModel("gpt-4.1")
                .setModelTier("small")
                .setIntent("summarization")
                .setComplexity("low")
                .setInputTokens(1_850)
                .setCachedInputTokens(6_200)
                .setCacheWriteTokens(0)
                .setOutputTokens(412)
                .setReasoningTokens(128)
                .setLatencyMs(1_240L)
                .setStatus(UsageStatus.OK)
                .setLabels(Map.of("env", "prod", "region", "eu"))
                .build();
    }

    public static PriceEntry priceEntry() {
        return PriceEntry.newBuilder()
                .setProvider("openai").setModel("gpt-4.1-mini").setTier("small")
                .setEffectiveFrom(Instant.parse("2026-04-14T00:00:00Z"))
                .setInputNanosPerMtok(400_000_000L).setCachedInputNanosPerMtok(100_000_000L)
                .setCacheWriteNanosPerMtok(400_000_000L).setOutputNanosPerMtok(1_600_000_000L)
                .setReference("openai.com/api/pricing read 2026-11-01")
                .build();
    }

    public static PricedUsage pricedUsage() {
        return PricedUsage.newBuilder()
                .setEvent(usageEvent())
                .setCost(CostBreakdown.newBuilder().setInputNanos(740_000).setCachedInputNanos(620_000)
                        .setCacheWriteNanos(0).setOutputNanos(659_200).setTotalNanos(2_019_200).build())
                .setUnpriced(false)
                .setPriceEffectiveFrom(Instant.parse("2026-04-14T00:00:00Z"))
                .setPricedAt(AT.plusMillis(40))
                .build();
    }

    public static Budget budget() {
        return Budget.newBuilder()
                .setBudgetId("b-acme-u1-monthly").setScope("customer:acme/user:u1")
                .setPeriod(BudgetPeriod.MONTH).setTimeZone("Europe/Berlin")
                .setLimitUnit(LimitUnit.NANO_USD).setLimit(100_000_000_000L).setHard(true)
                .setLadder(List.of(
                        LadderStep.newBuilder().setThresholdPercent(80).setAction(ThrottleAction.DOWNGRADE)
                                .setMaxModelTier("small").build(),
                        LadderStep.newBuilder().setThresholdPercent(90).setAction(ThrottleAction.LIMIT_CONTEXT)
                                .setMaxModelTier("small").setMaxInputTokens(8_000L).build(),
                        LadderStep.newBuilder().setThresholdPercent(100).setAction(ThrottleAction.BLOCK).build()))
                .setUpdatedAt(AT)
                .build();
    }

    public static SpendAggregate spendAggregate() {
        return SpendAggregate.newBuilder()
                .setScope("customer:acme/feature:summarize").setWindowKind(WindowKind.HOUR)
                .setWindowStart(Instant.parse("2026-11-22T10:00:00Z")).setWindowEnd(Instant.parse("2026-11-22T11:00:00Z"))
                .setCostNanos(1_234_567_890L).setRequests(811).setUnpricedRequests(2)
                .setInputTokens(1_500_000).setCachedInputTokens(4_000_000).setCacheWriteTokens(20_000)
                .setOutputTokens(300_000).setReasoningTokens(90_000)
                .setByModel(List.of(ModelSpend.newBuilder().setProvider("openai").setModel("gpt-4.1-mini")
                        .setCostNanos(1_234_567_890L).setRequests(811).setInputTokens(1_500_000)
                        .setOutputTokens(300_000).build()))
                .setUpdatedAt(AT)
                .build();
    }

    public static Alert anomalyAlert() {
        return Alert.newBuilder()
                .setAlertId(UUID.fromString("0b7e3c1a-2f4d-4e5b-8a9c-1d2e3f4a5b6c"))
                .setKind(AlertKind.ANOMALY).setSeverity(Severity.CRITICAL).setScope("customer:acme/feature:summarize")
                .setRaisedAt(AT)
                .setSummary("feature summarize spent 4.2x its hourly baseline: input tokens per request x3.9")
                .setDetail(AnomalyDetail.newBuilder()
                        .setDimension("customer/feature").setWindowKind(WindowKind.HOUR)
                        .setWindowStart(Instant.parse("2026-11-22T10:00:00Z"))
                        .setWindowEnd(Instant.parse("2026-11-22T11:00:00Z"))
                        .setCurrentNanos(4_200_000_000L).setBaselineNanos(1_000_000_000L).setRatioMicros(4_200_000L)
                        .setCauses(List.of(AnomalyCause.newBuilder()
                                .setFactor(AnomalyFactor.INPUT_TOKENS_PER_REQUEST).setRatioMicros(3_900_000L).build()))
                        .setTopContributors(List.of(Contributor.newBuilder().setDimension("user")
                                .setId("h:0f3a9c27d1e84b5a9c6d2e1f0a7b3c4d").setCostNanos(2_100_000_000L)
                                .setShareBasisPoints(5_000).build()))
                        .build())
                .build();
    }

    public static ThrottleDecision throttleDecision() {
        return ThrottleDecision.newBuilder()
                .setScope("customer:acme/user:u1").setAction(ThrottleAction.LIMIT_CONTEXT)
                .setMaxModelTier("small").setMaxInputTokens(8_000L)
                .setReason("budget b-acme-u1-monthly: 92% of 100 USD monthly")
                .setBudgetId("b-acme-u1-monthly").setSpent(92_000_000_000L).setLimit(100_000_000_000L)
                .setLimitUnit(LimitUnit.NANO_USD).setPeriodEnd(Instant.parse("2026-11-30T23:00:00Z"))
                .setDecidedAt(AT)
                .build();
    }

    /** One instance of every top-level record, in the order of {@link Topics#VALUE_TYPES}. */
    public static List<SpecificRecord> all() {
        return List.of(usageEvent(), priceEntry(), budget(), pricedUsage(), spendAggregate(), anomalyAlert(),
                throttleDecision());
    }
}
