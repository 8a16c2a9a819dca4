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
 * @param stopOnJvmExit whether the JVM's shutdown (Ctrl-C included) stops the services; false for a caller that
 *                      stops them itself after it has finished with them (its own shutdown hook). Either way each
 *                      service exits by itself when this JVM is gone.
 */
public record LocalStackConfig(Path workDir, Duration startTimeout, boolean deleteOnClose, boolean stopOnJvmExit) {

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
        return new LocalStackConfig(workDir, DEFAULT_START_TIMEOUT, false, true);
    }

    /** The same, deleting the work folder when the stack closes. */
    public LocalStackConfig deletingOnClose() {
        return new LocalStackConfig(workDir, startTimeout, true, stopOnJvmExit);
    }

    /** The same, leaving the services running through the JVM's shutdown until {@link LocalStack#close()}. */
    public LocalStackConfig stoppedByCaller() {
        return new LocalStackConfig(workDir, startTimeout, deleteOnClose, false);
    }
}
