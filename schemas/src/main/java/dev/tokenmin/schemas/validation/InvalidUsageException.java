package dev.tokenmin.schemas.validation;

import java.util.List;

/** An input that cannot be turned into a usage event; lists every field at fault, not only the first. */
public final class InvalidUsageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient List<FieldError> errors;

    public InvalidUsageException(List<FieldError> errors) {
        super(String.join("; ", errors.stream().map(FieldError::toString).toList()));
        this.errors = List.copyOf(errors);
    }

    public InvalidUsageException(String field, String reason) {
        this(List.of(new FieldError(field, reason)));
    }

    public List<FieldError> errors() {
        return errors;
    }
}
