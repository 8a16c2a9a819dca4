package dev.tokenmin.clickhouse.migration;

/** A migration that cannot or must not run, with the reason for an operator. */
public final class MigrationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public MigrationException(String message) {
        super(message);
    }

    public MigrationException(String message, Throwable cause) {
        super(message, cause);
    }
}
