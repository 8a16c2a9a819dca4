package dev.tokenmin.ingest.sidecar;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.http.DecisionJson;
import dev.tokenmin.http.HttpEndpoint;
import dev.tokenmin.http.Meters;
import dev.tokenmin.http.Reply;
import dev.tokenmin.ingest.emit.Emission;
import dev.tokenmin.ingest.emit.UsageEmitter;
import dev.tokenmin.ingest.spool.SpoolFullException;
import dev.tokenmin.ingest.throttle.RequestContext;
import dev.tokenmin.ingest.throttle.ThrottleVerdict;
import dev.tokenmin.ingest.throttle.ThrottleView;
import dev.tokenmin.schemas.validation.FieldError;
import dev.tokenmin.schemas.validation.InvalidUsageException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The sidecar: tokenmin's HTTP API for gateways that are not on the JVM, beside each gateway on 127.0.0.1.
 *
 * <ul>
 *   <li>{@code POST /v1/usage}: one event or a batch ({@link UsageRequestParser}); 202 with the event ids once the
 *       whole batch is in the spool and durable; 400 listing every invalid field; 401 without a valid bearer
 *       token; 413 over the size or batch limit; 415 if not JSON; 429 with {@code Retry-After} when the spool is
 *       full. A refused request leaves nothing behind, so it can be retried as it is.</li>
 *   <li>{@code GET /v1/decisions?customer=&user=&feature=&team=&session=}: the strictest throttle decision in force
 *       for such a request (503 while the throttle view is still catching up).</li>
 *   <li>{@code GET /healthz} (the process serves), {@code /readyz} (the throttle view is caught up),
 *       {@code /metrics} (Prometheus).</li>
 * </ul>
 *
 * Stopping refuses new requests, lets the ones in flight finish, then gives Kafka a bounded time to take what is
 * spooled; the rest stays in the spool for the next start.
 */
public final class SidecarServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SidecarServer.class);
    private static final Set<String> DECISION_PARAMS = Set.of("customer", "user", "feature", "team", "session");
    private static final long DURABLE_WAIT_MS = 10_000;

    private final SidecarConfig config;
    private final PrometheusMeterRegistry meters;
    private final UsageEmitter emitter;
    private final ThrottleView view;
    private final UsageRequestParser parser;
    private final HttpEndpoint http;
    private final Clock clock = Clock.systemUTC();
    private final Timer usageTimer;
    private final Timer decisionTimer;

    private SidecarServer(SidecarConfig config) {
        this.config = config;
        this.meters = Meters.prometheus();
        this.emitter = UsageEmitter.start(config.emitter(), meters);
        this.view = ThrottleView.start(config.emitter());
        meters.gauge("tokenmin.throttle.view.scopes", view, ThrottleView::size);
        meters.gauge("tokenmin.throttle.view.ready", view, v -> v.isReady() ? 1 : 0);
        this.parser = new UsageRequestParser(config.maxBatchEvents());
        this.usageTimer = Timer.builder("tokenmin.sidecar.request.duration").tag("route", "/v1/usage")
                .description("time to answer a request").register(meters);
        this.decisionTimer = Timer.builder("tokenmin.sidecar.request.duration").tag("route", "/v1/decisions")
                .description("time to answer a request").register(meters);

        // Requests wait for the spool's fsync; on virtual threads that wait costs no platform thread.
        this.http = new HttpEndpoint("sidecar", config.host(), config.port(), new Routes());
    }

    /**
     * Starts the emitter (sending what a previous run left in the spool), the throttle view and the HTTP server.
     *
     * @throws IllegalStateException when the port cannot be bound
     */
    public static SidecarServer start(SidecarConfig config) {
        SidecarServer sidecar = new SidecarServer(config);
        try {
            sidecar.http.start();
        } catch (IllegalStateException e) {
            sidecar.emitter.close();
            sidecar.view.close();
            throw new IllegalStateException("sidecar " + e.getMessage(), e);
        }
        LOG.info("sidecar listening on http://{}:{} for {} gateways; spool {}", config.host(),
                sidecar.http.port(), config.tokens().size(), config.emitter().spool().directory());
        return sidecar;
    }

    public int port() {
        return http.port();
    }

    public URI uri() {
        return http.uri();
    }

    public ThrottleView throttleView() {
        return view;
    }

    public UsageEmitter emitter() {
        return emitter;
    }

    public PrometheusMeterRegistry meters() {
        return meters;
    }

    @Override
    public void close() {
        try {
            http.close();
        } catch (Exception e) {
            LOG.warn("sidecar HTTP server did not stop cleanly: {}", e.toString());
        }
        emitter.close();
        view.close();
        meters.close();
    }

    /** One handler for the few routes; requests may block (on the spool's fsync) on their virtual thread. */
    private final class Routes extends Handler.Abstract {

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = request.getHttpURI().getPath();
            String method = request.getMethod();
            Reply reply;
            try {
                reply = switch (path) {
                    case "/v1/usage" -> "POST".equals(method) ? timed(usageTimer, () -> postUsage(request))
                            : Reply.notAllowed("POST");
                    case "/v1/decisions" -> "GET".equals(method) ? timed(decisionTimer, () -> getDecision(request))
                            : Reply.notAllowed("GET");
                    case "/healthz" -> "GET".equals(method) ? Reply.json(200, Reply.object().put("status", "up"))
                            : Reply.notAllowed("GET");
                    case "/readyz" -> "GET".equals(method) ? readiness() : Reply.notAllowed("GET");
                    case "/metrics" -> "GET".equals(method) ? Reply.metrics(meters.scrape()) : Reply.notAllowed("GET");
                    default -> Reply.error(404, "no such endpoint: " + path);
                };
            } catch (RuntimeException e) {
                LOG.error("sidecar failed to answer {} {}: {}", method, path, e.toString());
                reply = Reply.error(500, "internal error; the request may be retried");
            }
            if (reply.status() >= 400 && "POST".equals(method)) {
                // Refused before or while its body was read: the body may still be on its way, so this connection
                // cannot carry a next request. Said so, the client opens a new one; unsaid, Jetty closed the
                // connection after the reply and the client's next request on it failed ("no bytes", 1 in 2,000).
                reply = reply.header("Connection", "close");
            }
            count(path, reply.status());
            reply.send(response, callback);
            return true;
        }
    }

    private Reply postUsage(Request request) {
        String gateway = config.tokens().authenticate(request.getHeaders().get(HttpHeader.AUTHORIZATION));
        if (gateway == null) {
            return unauthorized();
        }
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (contentType != null && !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            return Reply.error(415, "Content-Type must be application/json, was " + contentType);
        }
        long declared = request.getLength();
        if (declared > config.maxBodyBytes()) {
            return tooLarge(gateway, "the body of " + declared + " bytes is over the limit of " + config.maxBodyBytes()
                    + " bytes");
        }
        byte[] body;
        try (InputStream in = Request.asInputStream(request)) {
            body = in.readNBytes(config.maxBodyBytes() + 1);
        } catch (IOException e) {
            return Reply.error(400, "cannot read the body: " + e.getMessage());
        }
        if (body.length > config.maxBodyBytes()) {
            return tooLarge(gateway, "the body is over the limit of " + config.maxBodyBytes() + " bytes");
        }
        List<UsageEvent> events;
        try {
            events = parser.parse(body, gateway, clock.instant());
        } catch (InvalidUsageException e) {
            LOG.warn("sidecar refused usage from gateway {}: invalid {}", gateway,
                    e.errors().stream().map(FieldError::field).limit(10).toList());
            return Reply.invalid(e, "nothing was accepted");
        } catch (UsageRequestParser.TooManyEventsException e) {
            return tooLarge(gateway, e.getMessage());
        }
        List<Emission> emissions;
        try {
            emissions = emitter.emitAll(events);
        } catch (InvalidUsageException e) {
            return Reply.invalid(e, "nothing was accepted");
        } catch (SpoolFullException e) {
            LOG.warn("sidecar refused {} events from gateway {}: spool full", events.size(), gateway);
            return Reply.error(429, "the spool is full while Kafka is slow or away; retry later")
                    .header("Retry-After", Integer.toString(config.retryAfterSeconds()));
        } catch (IllegalArgumentException e) {
            return tooLarge(gateway, e.getMessage());
        } catch (IllegalStateException e) {
            return Reply.error(503, "the sidecar is stopping; retry on another instance or later")
                    .header("Retry-After", Integer.toString(config.retryAfterSeconds()));
        }
        try {
            CompletableFuture.allOf(emissions.stream().map(Emission::durable).toArray(CompletableFuture[]::new))
                    .get(DURABLE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.error("sidecar could not make {} events durable: {}", events.size(), e.toString());
            return Reply.error(503, "the spool could not confirm the events are on disk; retry with the same event "
                    + "ids").header("Retry-After", Integer.toString(config.retryAfterSeconds()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Reply.error(503, "interrupted");
        }
        meters.counter("tokenmin.sidecar.events.accepted", "gateway", gateway).increment(events.size());
        ObjectNode body202 = Reply.object().put("accepted", events.size());
        ArrayNode ids = body202.putArray("event_ids");
        events.forEach(e -> ids.add(e.getEventId().toString()));
        return Reply.json(202, body202);
    }

    private Reply getDecision(Request request) {
        if (config.tokens().authenticate(request.getHeaders().get(HttpHeader.AUTHORIZATION)) == null) {
            return unauthorized();
        }
        Fields params = Request.extractQueryParameters(request);
        List<FieldError> errors = new ArrayList<>();
        for (String name : params.getNames()) {
            if (!DECISION_PARAMS.contains(name)) {
                errors.add(new FieldError(name, "unknown parameter; known: customer, user, feature, team, session"));
            }
        }
        if (!errors.isEmpty()) {
            return Reply.invalid(new InvalidUsageException(errors), "nothing was accepted");
        }
        RequestContext context = new RequestContext(params.getValue("customer"), params.getValue("user"),
                params.getValue("feature"), params.getValue("team"), params.getValue("session"));
        if (!view.isReady()) {
            return Reply.error(503, "the throttle view is still reading decisions; retry shortly")
                    .header("Retry-After", Integer.toString(config.retryAfterSeconds()));
        }
        ThrottleVerdict verdict;
        try {
            verdict = view.decisionFor(context);
        } catch (IllegalArgumentException e) {
            return Reply.invalid(new InvalidUsageException("scope", e.getMessage()), "nothing was accepted");
        }
        ObjectNode body = Reply.object().put("action", verdict.action().name());
        if (verdict.strictest() == null) {
            body.putNull("decision");
        } else {
            body.set("decision", DecisionJson.of(verdict.strictest()));
        }
        ArrayNode active = body.putArray("active");
        verdict.active().forEach(d -> active.add(DecisionJson.of(d)));
        return Reply.json(200, body);
    }

    private Reply readiness() {
        boolean ready = view.isReady();
        ObjectNode body = Reply.object().put("ready", ready)
                .put("throttle_view", ready ? "caught up" : "catching up")
                .put("spool_pending_bytes", emitter.metrics().pendingBytes());
        return Reply.json(ready ? 200 : 503, body);
    }

    private Reply timed(Timer timer, Supplier<Reply> handler) {
        long start = System.nanoTime();
        try {
            return handler.get();
        } finally {
            timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    private void count(String path, int status) {
        String route = switch (path) {
            case "/v1/usage", "/v1/decisions", "/healthz", "/readyz", "/metrics" -> path;
            default -> "other"; // unknown paths are not tags: they would make a meter per typo
        };
        Counter.builder("tokenmin.sidecar.requests").tag("route", route).tag("status", Integer.toString(status))
                .description("requests answered, by route and status").register(meters).increment();
    }

    private Reply tooLarge(String gateway, String message) {
        LOG.warn("sidecar refused a request from gateway {}: {}", gateway, message);
        return Reply.error(413, message);
    }

    private static Reply unauthorized() {
        return Reply.error(401, "a valid bearer token is required").header("WWW-Authenticate",
                "Bearer realm=\"tokenmin\"");
    }
}
