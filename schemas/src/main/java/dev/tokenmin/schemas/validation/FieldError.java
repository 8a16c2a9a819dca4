package dev.tokenmin.schemas.validation;

/** One thing wrong with an input: the field (as a JSON path such as {@code usage.prompt_tokens}) and why. */
public record FieldError(String field, String reason) {

    @Override
    public String toString() {
        return field + ": " + reason;
    }
}
