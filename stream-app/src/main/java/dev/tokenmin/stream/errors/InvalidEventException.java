package dev.tokenmin.stream.errors;

/**
 * An event that decodes but must not be counted (a negative token count, no customer, an id that cannot form a
 * scope key). Thrown by a processor; {@link DeadLetterHandlers.Processing} sends the raw record to the dead-letter
 * topic and processing goes on.
 */
public final class InvalidEventException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InvalidEventException(String message) {
        super(message, null, false, false); // an expected condition: no stack trace
    }
}
