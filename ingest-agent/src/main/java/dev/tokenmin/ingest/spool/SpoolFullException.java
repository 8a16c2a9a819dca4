package dev.tokenmin.ingest.spool;

/** The spool is at its size limit (Kafka is not taking events fast enough, or is away); the event was not kept. */
public final class SpoolFullException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public SpoolFullException(String message) {
        super(message);
    }
}
