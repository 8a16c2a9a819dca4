package dev.tokenmin.localstack;

import java.nio.file.Path;

/** A service of the local stack did not come up; the message names the service and the path of its log. */
public final class ServiceStartException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String service;
    private final Path log;

    public ServiceStartException(String service, Path log, String reason) {
        this(service, log, reason, null);
    }

    public ServiceStartException(String service, Path log, String reason, Throwable cause) {
        super(service + " failed to start: " + reason + (log == null ? "" : " (log: " + log + ")"), cause);
        this.service = service;
        this.log = log;
    }

    /** The service that failed, such as {@code kafka}, {@code schema-registry} or {@code clickhouse}. */
    public String service() {
        return service;
    }

    /** Its log file, or {@code null} when it failed before it had one. */
    public Path log() {
        return log;
    }
}
