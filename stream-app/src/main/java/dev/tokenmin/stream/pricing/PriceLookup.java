package dev.tokenmin.stream.pricing;

import dev.tokenmin.avro.PriceEntry;

import java.time.Instant;

/** Finds the price of a model in force at an instant. */
@FunctionalInterface
public interface PriceLookup {

    /** The entry for {@code provider}/{@code model} with the latest effective_from at or before {@code at}, or null. */
    PriceEntry inForce(String provider, String model, Instant at);
}
