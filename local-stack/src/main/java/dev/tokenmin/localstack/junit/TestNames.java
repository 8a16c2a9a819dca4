package dev.tokenmin.localstack.junit;

import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Names that are unique to one test in one run, so tests that share a stack never see each other's topics,
 * consumer groups, application ids or ClickHouse databases.
 */
public final class TestNames {

    private final String stem;

    TestNames(String testName) {
        String clean = testName.replaceAll("[^A-Za-z0-9]+", "_").replaceAll("^_+|_+$", "");
        if (clean.length() > 60) {
            clean = clean.substring(0, 60);
        }
        String suffix = Long.toString(ThreadLocalRandom.current().nextLong(Long.MAX_VALUE), 36);
        this.stem = (clean.isEmpty() ? "test" : clean) + "_" + suffix;
    }

    /** A topic name: {@code base.<test>_<random>} (Kafka allows letters, digits, '.', '_' and '-'). */
    public String topic(String base) {
        return base + "." + stem;
    }

    /** A consumer group or Kafka Streams application id. */
    public String applicationId(String base) {
        return base + "-" + stem;
    }

    /** A ClickHouse database name (letters, digits and '_', starting with a letter). */
    public String database() {
        return "t_" + stem.toLowerCase(Locale.ROOT);
    }

    /** A registry subject for {@code base}. */
    public String subject(String base) {
        return base + "-" + stem;
    }

    @Override
    public String toString() {
        return stem;
    }
}
