package dev.tokenmin.stream.topology;

/**
 * Every processor and state store name of the metering topology, in one place. Names are part of the deployed
 * app's identity (changelog and repartition topics are named after them): renaming one is a migration.
 */
public final class Names {

    public static final String USAGE_SOURCE = "usage-source";
    public static final String PRICES_SOURCE = "prices-source";
    public static final String PRICES_STORE = "prices-store";
    public static final String VALIDATE = "validate";
    public static final String DEDUP = "dedup";
    public static final String DEDUP_STORE = "dedup-store";
    public static final String PRICE = "price";
    public static final String PRICED_SINK = "priced-sink";

    private Names() {
    }
}
