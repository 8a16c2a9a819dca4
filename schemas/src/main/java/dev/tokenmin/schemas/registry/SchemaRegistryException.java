package dev.tokenmin.schemas.registry;

/**
 * The schema registry refused a request or could not be reached. The message names the operation, the subject or
 * schema id, the HTTP status and the registry's own error code and message (for example 40403, "Schema not found").
 */
public final class SchemaRegistryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Confluent's error code for a subject that does not exist. */
    public static final int SUBJECT_NOT_FOUND = 40401;
    /** Confluent's error code for a schema (id or subject version) that does not exist. */
    public static final int SCHEMA_NOT_FOUND = 40403;
    /** Confluent's error code for a schema that breaks the subject's compatibility rule. */
    public static final int INCOMPATIBLE_SCHEMA = 409;

    private final int status;
    private final int errorCode;

    public SchemaRegistryException(String message, int status, int errorCode, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    /** The HTTP status, or 0 when the registry could not be reached. */
    public int status() {
        return status;
    }

    /** The registry's {@code error_code} (such as 40403), or the HTTP status when it sent none, or 0. */
    public int errorCode() {
        return errorCode;
    }

    /** True when the subject, version or schema id does not exist. */
    public boolean isNotFound() {
        return status == 404;
    }
}
