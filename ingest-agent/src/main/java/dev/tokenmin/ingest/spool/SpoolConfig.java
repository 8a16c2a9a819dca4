package dev.tokenmin.ingest.spool;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How the spool keeps events on disk until Kafka has them.
 *
 * @param directory      where segment files live; one spool per directory
 * @param segmentBytes   a segment is closed and a new one started past this size
 * @param maxBytes       the spool's size limit; beyond it appends wait or are rejected ({@link #overflow})
 * @param maxRecordBytes the largest event accepted
 * @param durability     when an append is on disk: after its own fsync, or after a shared fsync within
 *                       {@link #fsyncMaxDelay}
 * @param fsyncMaxDelay  for {@link Durability#BATCHED}: the longest an append waits for its fsync
 * @param overflow       what a full spool does: wait up to {@link #blockTimeout}, or reject at once
 * @param blockTimeout   for {@link Overflow#BLOCK}: the longest an append waits for room
 */
public record SpoolConfig(Path directory, long segmentBytes, long maxBytes, int maxRecordBytes, Durability durability,
                          Duration fsyncMaxDelay, Overflow overflow, Duration blockTimeout) {

    /** When an appended event counts as durable. */
    public enum Durability {
        /** fsync after every append: slowest, nothing acknowledged is ever lost. */
        EVERY_RECORD,
        /** one fsync for all appends within a short delay: fast; an append is durable when its future completes. */
        BATCHED
    }

    /** What an append does when the spool is at its size limit. It never drops an event silently. */
    public enum Overflow {
        /** Wait for room up to blockTimeout, then fail with SpoolFullException. */
        BLOCK,
        /** Fail at once with SpoolFullException. */
        REJECT
    }

    public SpoolConfig {
        Objects.requireNonNull(directory, "spool.directory");
        Objects.requireNonNull(durability, "spool.durability");
        Objects.requireNonNull(fsyncMaxDelay, "spool.fsync.max.delay");
        Objects.requireNonNull(overflow, "spool.overflow");
        Objects.requireNonNull(blockTimeout, "spool.block.timeout");
        List<String> errors = new ArrayList<>();
        if (segmentBytes < 1024) {
            errors.add("spool.segment.bytes: at least 1024, was " + segmentBytes);
        }
        if (maxBytes < segmentBytes) {
            errors.add("spool.max.bytes: at least spool.segment.bytes (" + segmentBytes + "), was " + maxBytes);
        }
        if (maxRecordBytes < 64 || maxRecordBytes > segmentBytes) {
            errors.add("spool.max.record.bytes: between 64 and spool.segment.bytes, was " + maxRecordBytes);
        }
        if (fsyncMaxDelay.isNegative() || fsyncMaxDelay.isZero()) {
            errors.add("spool.fsync.max.delay: must be positive, was " + fsyncMaxDelay);
        }
        if (blockTimeout.isNegative()) {
            errors.add("spool.block.timeout: must not be negative, was " + blockTimeout);
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("spool configuration: " + String.join("; ", errors));
        }
    }

    /** 64 MiB segments, 1 GiB in all, events up to 1 MiB, batched fsync within 5 ms, block up to 5 s when full. */
    public static SpoolConfig defaults(Path directory) {
        return new SpoolConfig(directory, 64L << 20, 1L << 30, 1 << 20, Durability.BATCHED, Duration.ofMillis(5),
                Overflow.BLOCK, Duration.ofSeconds(5));
    }

    public SpoolConfig withLimits(long segmentBytes, long maxBytes) {
        return new SpoolConfig(directory, segmentBytes, maxBytes, (int) Math.min(maxRecordBytes, segmentBytes),
                durability, fsyncMaxDelay, overflow, blockTimeout);
    }

    public SpoolConfig withDurability(Durability durability) {
        return new SpoolConfig(directory, segmentBytes, maxBytes, maxRecordBytes, durability, fsyncMaxDelay, overflow,
                blockTimeout);
    }

    public SpoolConfig withOverflow(Overflow overflow, Duration blockTimeout) {
        return new SpoolConfig(directory, segmentBytes, maxBytes, maxRecordBytes, durability, fsyncMaxDelay, overflow,
                blockTimeout);
    }
}
