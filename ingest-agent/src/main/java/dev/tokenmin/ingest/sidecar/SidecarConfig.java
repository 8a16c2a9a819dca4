package dev.tokenmin.ingest.sidecar;

import dev.tokenmin.ingest.emit.EmitterConfig;
import dev.tokenmin.schemas.config.Settings;

import java.nio.file.Path;
import java.util.Map;

/**
 * The sidecar's settings: where it listens, how large a request may be, who may call it, plus everything the
 * emitter and the throttle view need ({@link EmitterConfig}). Built from properties or {@code TOKENMIN_*}
 * environment variables; every problem is reported at once with its key.
 *
 * @param host              the address to listen on; 127.0.0.1 by default, so only the gateway beside it can call
 * @param port              the port (0: any free port)
 * @param maxBodyBytes      the largest request body accepted (413 above)
 * @param maxBatchEvents    the most events in one request (413 above)
 * @param retryAfterSeconds what a 429 or 503 tells the caller to wait
 * @param tokens            the accepted bearer tokens, per gateway
 * @param emitter           the emitter's and throttle view's settings
 */
public record SidecarConfig(String host, int port, int maxBodyBytes, int maxBatchEvents, int retryAfterSeconds,
                            GatewayTokens tokens, EmitterConfig emitter) {

    public static final String HOST = "sidecar.host";
    public static final String PORT = "sidecar.port";
    public static final String MAX_BODY_BYTES = "sidecar.max.body.bytes";
    public static final String MAX_BATCH_EVENTS = "sidecar.max.batch.events";
    public static final String RETRY_AFTER_SECONDS = "sidecar.retry.after.seconds";
    /** A properties file of {@code gateway-id=token} lines, e.g. a mounted Kubernetes secret. */
    public static final String TOKENS_FILE = "sidecar.tokens.file";

    public static final int DEFAULT_PORT = 8787;
    public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;
    public static final int DEFAULT_MAX_BATCH_EVENTS = 1_000;

    /** Reads environment variables: {@code TOKENMIN_SIDECAR_PORT} becomes {@code sidecar.port}, and so on. */
    public static SidecarConfig fromEnvironment(Map<String, String> env) {
        return fromProperties(Settings.fromEnvironment(env));
    }

    /** Reads properties; @throws IllegalArgumentException listing every key at fault, never a secret. */
    public static SidecarConfig fromProperties(Map<String, String> props) {
        Settings settings = new Settings(props);
        EmitterConfig emitter = null;
        try {
            emitter = EmitterConfig.fromProperties(props);
        } catch (IllegalArgumentException e) {
            settings.error(e.getMessage());
        }
        int port = settings.intBetween(PORT, DEFAULT_PORT, 0, 65_535);
        int maxBody = settings.intBetween(MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES, 1_024, 64 << 20);
        int maxBatch = settings.intBetween(MAX_BATCH_EVENTS, DEFAULT_MAX_BATCH_EVENTS, 1, 100_000);
        int retryAfter = settings.intBetween(RETRY_AFTER_SECONDS, 1, 1, 3_600);
        GatewayTokens tokens = null;
        String tokensFile = settings.string(TOKENS_FILE);
        if (tokensFile == null) {
            settings.error(TOKENS_FILE + ": missing (a properties file of gateway-id=token lines; the sidecar never "
                    + "runs without authentication)");
        } else {
            try {
                tokens = GatewayTokens.load(Path.of(tokensFile));
            } catch (IllegalArgumentException e) {
                settings.error(TOKENS_FILE + ": " + e.getMessage());
            }
        }
        settings.throwIfAny("sidecar configuration");
        return new SidecarConfig(settings.string(HOST, "127.0.0.1"), port, maxBody, maxBatch, retryAfter, tokens,
                emitter);
    }
}
