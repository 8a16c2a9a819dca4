package dev.tokenmin.stream.pricing;

import dev.tokenmin.avro.CostBreakdown;
import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.UsageEvent;

import java.time.Instant;
import java.util.regex.Pattern;

/**
 * Prices a usage event with the entry in force at its {@code occurred_at}, in exact nano-USD per canonical token
 * field. A model without a price is counted with cost 0 and flagged {@code unpriced}; it is never dropped.
 *
 * <p>Each field costs {@code tokens × price_per_million / 1,000,000} nano-USD, rounded half-even to a whole nano-USD
 * (only prices with more than three decimals of a dollar per million tokens round at all); the total is the sum of
 * the four fields, so a breakdown always adds up. A model named with a date suffix ({@code gpt-4.1-2025-04-14},
 * {@code claude-sonnet-4-5-20250929}) falls back to the undated entry when it has no entry of its own.
 */
public final class Pricer {

    private static final Pattern DATE_SUFFIX = Pattern.compile("-(\\d{8}|\\d{4}-\\d{2}-\\d{2})$");

    private final PriceLookup prices;

    public Pricer(PriceLookup prices) {
        this.prices = prices;
    }

    /** The event with its cost; {@code pricedAt} is when the stream app priced it. */
    public PricedUsage price(UsageEvent event, Instant pricedAt) {
        PriceEntry entry = find(event.getProvider(), event.getModel(), event.getOccurredAt());
        PricedUsage.Builder priced = PricedUsage.newBuilder().setEvent(event).setPricedAt(pricedAt);
        if (entry == null) {
            return priced.setCost(zero()).setUnpriced(true).setPriceEffectiveFrom(null).build();
        }
        return priced.setCost(cost(event, entry)).setUnpriced(false).setPriceEffectiveFrom(entry.getEffectiveFrom())
                .build();
    }

    /** The entry in force for a model, by its exact name, else by its name without a date suffix. */
    public PriceEntry find(String provider, String model, Instant at) {
        PriceEntry exact = prices.inForce(provider, model, at);
        if (exact != null) {
            return exact;
        }
        String undated = DATE_SUFFIX.matcher(model).replaceFirst("");
        return undated.equals(model) ? null : prices.inForce(provider, undated, at);
    }

    /** What {@code event}'s tokens cost at {@code entry}'s prices. */
    public static CostBreakdown cost(UsageEvent event, PriceEntry entry) {
        long input = cost(event.getInputTokens(), entry.getInputNanosPerMtok());
        long cached = cost(event.getCachedInputTokens(), entry.getCachedInputNanosPerMtok());
        long write = cost(event.getCacheWriteTokens(), entry.getCacheWriteNanosPerMtok());
        long output = cost(event.getOutputTokens(), entry.getOutputNanosPerMtok());
        return CostBreakdown.newBuilder().setInputNanos(input).setCachedInputNanos(cached).setCacheWriteNanos(write)
                .setOutputNanos(output).setTotalNanos(Math.addExact(Math.addExact(input, cached),
                        Math.addExact(write, output))).build();
    }

    /**
     * {@code tokens × nanosPerMillion / 1,000,000}, rounded half-even, without overflow for any realistic count.
     *
     * @throws ArithmeticException when the cost does not fit in a long (about 9.2 billion USD)
     */
    public static long cost(long tokens, long nanosPerMillion) {
        long millions = tokens / 1_000_000;
        long rest = tokens % 1_000_000;
        long product = rest * nanosPerMillion; // < 10^6 × 9.2×10^12: fits for any price below 9,200 USD per million
        long whole = product / 1_000_000;
        long remainder = product % 1_000_000;
        if (remainder > 500_000 || (remainder == 500_000 && (whole & 1) == 1)) {
            whole++;
        }
        return Math.addExact(Math.multiplyExact(millions, nanosPerMillion), whole);
    }

    public static CostBreakdown zero() {
        return CostBreakdown.newBuilder().setInputNanos(0).setCachedInputNanos(0).setCacheWriteNanos(0)
                .setOutputNanos(0).setTotalNanos(0).build();
    }
}
