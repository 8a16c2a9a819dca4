package dev.tokenmin.stream.errors;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record on an input topic larger than any valid value of its type: it is not decoded at all (a crafted or
 * runaway record must not cost the app memory or time) and goes to the dead-letter topic as {@code oversized}.
 */
public final class OversizedRecordException extends SerializationException {

    private static final long serialVersionUID = 1L;

    public OversizedRecordException(String message) {
        super(message, null);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // an expected condition: no stack trace
    }
}
