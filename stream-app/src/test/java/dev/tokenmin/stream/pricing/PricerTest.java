package dev.tokenmin.stream.pricing;

import dev.tokenmin.avro.CostBreakdown;
import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.UsageEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PricerTest {

    private static final PriceCatalog CATALOG = PriceCatalog.bundled();
    /** The catalog as the stream app sees it: the latest entry at or before the instant. */
    private static final PriceLookup LOOKUP = (provider, model, at) -> CATALOG.entries().stream()
            .filter(e -> e.getProvider().equals(provider) && e.getModel().equals(model)
                    && !e.getEffectiveFrom().isAfter(at))
            .max(Comparator.comparing(PriceEntry::getEffectiveFrom)).orElse(null);
    private static final Pricer PRICER = new Pricer(LOOKUP);

    static UsageEvent event(String provider, String model, String at, long input, long cached, long write, long output) {
        return UsageEvent.newBuilder().setEventId(UUID.randomUUID()).setOccurredAt(Instant.parse(at)).setSource("gw")
                .setCustomerId("acme").setProvider(provider).setModel(model).setInputTokens(input)
                .setCachedInputTokens(cached).setCacheWriteTokens(write).setOutputTokens(output).build();
    }

    @Test
    void shouldPriceCacheReadsAndWritesAtTheirOwnRates() {
        // Anthropic Sonnet 4.5: 3 USD input, 0.30 cache read, 3.75 cache write, 15 output per million.
        PricedUsage priced = PRICER.price(event("anthropic", "claude-sonnet-4-5", "2026-11-01T12:00:00Z",
                20, 4_000, 1_000, 350), Instant.now());

        CostBreakdown cost = priced.getCost();
        assertThat(cost.getInputNanos()).isEqualTo(20 * 3_000L);
        assertThat(cost.getCachedInputNanos()).isEqualTo(4_000 * 300L);
        assertThat(cost.getCacheWriteNanos()).isEqualTo(1_000 * 3_750L);
        assertThat(cost.getOutputNanos()).isEqualTo(350 * 15_000L);
        assertThat(cost.getTotalNanos()).isEqualTo(60_000 + 1_200_000 + 3_750_000 + 5_250_000);
        assertThat(priced.getUnpriced()).isFalse();
    }

    @Test
    void shouldUseThePriceInForceWhenTheCallHappened() {
        // o3 cost 10/40 until 2025-06-10 and 2/8 from then on.
        UsageEvent before = event("openai", "o3", "2025-06-09T23:59:59Z", 1_000_000, 0, 0, 1_000_000);
        UsageEvent after = event("openai", "o3", "2025-06-10T00:00:00Z", 1_000_000, 0, 0, 1_000_000);

        assertThat(PRICER.price(before, Instant.now()).getCost().getTotalNanos()).isEqualTo(50_000_000_000L);
        assertThat(PRICER.price(after, Instant.now()).getCost().getTotalNanos()).isEqualTo(10_000_000_000L);
        assertThat(PRICER.price(after, Instant.now()).getPriceEffectiveFrom())
                .isEqualTo(Instant.parse("2025-06-10T00:00:00Z"));
    }

    @Test
    void shouldCountAnUnknownModelWithCostZeroAndFlagIt() {
        PricedUsage priced = PRICER.price(event("openai", "gpt-9-turbo", "2026-11-01T00:00:00Z", 100, 0, 0, 10),
                Instant.now());

        assertThat(priced.getUnpriced()).isTrue();
        assertThat(priced.getCost().getTotalNanos()).isZero();
        assertThat(priced.getEvent().getInputTokens()).isEqualTo(100);
        // Before a model's first price it is unpriced too, never priced with a later entry.
        assertThat(PRICER.price(event("openai", "gpt-5", "2025-08-06T00:00:00Z", 1, 0, 0, 1), Instant.now())
                .getUnpriced()).isTrue();
    }

    @Test
    void shouldFallBackFromADatedSnapshotNameToTheModel() {
        PricedUsage priced = PRICER.price(event("openai", "gpt-4.1-2025-04-14", "2026-01-01T00:00:00Z",
                1_000, 0, 0, 0), Instant.now());
        PricedUsage anthropic = PRICER.price(event("anthropic", "claude-haiku-4-5-20251001", "2026-01-01T00:00:00Z",
                1_000, 0, 0, 0), Instant.now());

        assertThat(priced.getCost().getInputNanos()).isEqualTo(2_000_000);
        assertThat(anthropic.getCost().getInputNanos()).isEqualTo(1_000_000);
    }

    @Test
    void shouldRoundHalfEvenAndNeverOverflow() {
        // 0.31 USD per million: 1 token costs 310 nano-USD exactly; 0.3125 USD: 312.5 rounds to 312, 3 tokens 937.5 to 938.
        assertThat(Pricer.cost(1, 310_000_000L)).isEqualTo(310);
        assertThat(Pricer.cost(1, 312_500_000L)).isEqualTo(312);
        assertThat(Pricer.cost(3, 312_500_000L)).isEqualTo(938);
        assertThat(Pricer.cost(0, 75_000_000_000L)).isZero();
        // Ten billion output tokens at 75 USD per million: 750,000 USD, exactly.
        assertThat(Pricer.cost(10_000_000_000L, 75_000_000_000L)).isEqualTo(750_000_000_000_000L);
        assertThatThrownBy(() -> Pricer.cost(Long.MAX_VALUE / 2, 75_000_000_000L))
                .isInstanceOf(ArithmeticException.class);
    }

    @Test
    void shouldShipADatedCatalogWithSelfHostedModelsAtZero() {
        assertThat(CATALOG.version()).isEqualTo("2026-11-22");
        assertThat(CATALOG.entries()).extracting(PriceEntry::getProvider)
                .contains("openai", "anthropic", "google", "self-hosted");
        assertThat(CATALOG.entries()).allSatisfy(e -> assertThat(e.getEffectiveFrom()).isNotNull());
        assertThat(CATALOG.entries()).filteredOn(e -> e.getProvider().equals("self-hosted"))
                .allSatisfy(e -> assertThat(List.of(e.getInputNanosPerMtok(), e.getCachedInputNanosPerMtok(),
                        e.getCacheWriteNanosPerMtok(), e.getOutputNanosPerMtok())).containsOnly(0L));
    }

    @Test
    void shouldNameEveryBadEntryAndFieldOfACatalog() {
        assertThatThrownBy(() -> PriceCatalog.parse("""
                version: test
                entries:
                  - {provider: openai, model: m1, tier: small, effective_from: 2025-13-01,
                     usd_per_million_tokens: {input: -1, cached_input: 0.1, cache_write: 0.1, output: 0.0000000001}}
                  - {provider: openai, model: m2, effective_from: 2025-01-01, colour: red,
                     usd_per_million_tokens: {input: 1, cached_input: 0.1, cache_write: 1}}
                  - {provider: openai, model: m3, tier: small, effective_from: 2025-01-01,
                     usd_per_million_tokens: {input: 1, cached_input: 0.1, cache_write: 1, output: 2}}
                  - {provider: openai, model: m3, tier: small, effective_from: 2025-01-01,
                     usd_per_million_tokens: {input: 1, cached_input: 0.1, cache_write: 1, output: 3}}
                """, "test.yaml"))
                .hasMessageStartingWith("test.yaml: ")
                .hasMessageContaining("entries[0].effective_from: a date")
                .hasMessageContaining("entries[0].usd_per_million_tokens.input: must not be negative")
                .hasMessageContaining("entries[0].usd_per_million_tokens.output: not a USD amount with at most 9")
                .hasMessageContaining("entries[1].colour: unknown field")
                .hasMessageContaining("entries[1].tier: missing")
                .hasMessageContaining("entries[1].usd_per_million_tokens.output: missing")
                .hasMessageContaining("entries[3]: a second entry for openai/m3@2025-01-01T00:00:00Z");
    }
}
