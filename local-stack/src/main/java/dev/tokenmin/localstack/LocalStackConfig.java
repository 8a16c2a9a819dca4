package dev.tokenmin.localstack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How to start a {@link LocalStack}.
 *
 * @param workDir      folder for every service's data, configuration and log ({@code kafka/}, {@code registry/},
 *                     {@code clickhouse/}); reusing it keeps Kafka's and ClickHouse's data
 * @param startTimeout how long each service may take to become ready
 * @param deleteOnClose whether closing the stack deletes {@code workDir} (for tests; never for a user's stack)
 */
public record LocalStackConfig(Path workDir, Duration startTimeout, boolean deleteOnClose) {

    /** Two minutes: a cold start on a 2-core machine takes about ten seconds; the margin is for a loaded CI. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofMinutes(2);

    public LocalStackConfig {
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(startTimeout, "startTimeout");
        if (startTimeout.isNegative() || startTimeout.isZero()) {
            throw new IllegalArgumentException("startTimeout must be positive, was " + startTimeout);
        }
    }

    /** A stack in {@code workDir} with the default start timeout. */
    public static LocalStackConfig in(Path workDir) {
        return new LocalStackConfig(workDir, DEFAULT_START_TIMEOUT, false);
    }

    /** The same, deleting the work folder when the stack closes. */
    public LocalStackConfig deletingOnClose() {
        return new LocalStackConfig(workDir, startTimeout, true);
    }
}
