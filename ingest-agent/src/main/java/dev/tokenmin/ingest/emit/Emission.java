package dev.tokenmin.ingest.emit;

import java.util.concurrent.CompletableFuture;

/**
 * What became of one emitted event: {@link #durable()} completes when it is safely on the gateway's disk (from
 * then on it reaches Kafka even across crashes), {@link #acknowledged()} when Kafka has it. The second completes
 * only in the process that emitted it; after a restart the spool still delivers the event, without a future.
 */
public record Emission(CompletableFuture<Void> durable, CompletableFuture<Void> acknowledged) {
}
