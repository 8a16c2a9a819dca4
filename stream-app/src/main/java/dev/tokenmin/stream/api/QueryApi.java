package dev.tokenmin.stream.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenmin.avro.Budget;
import dev.tokenmin.avro.BudgetPeriod;
import dev.tokenmin.avro.ModelSpend;
import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.avro.WindowKind;
import dev.tokenmin.http.DecisionJson;
import dev.tokenmin.http.Reply;
import dev.tokenmin.schemas.NanoUsd;
import dev.tokenmin.schemas.scope.ScopeKey;
import dev.tokenmin.schemas.validation.InvalidUsageException;
import dev.tokenmin.stream.budget.BudgetDocuments;
import dev.tokenmin.stream.budget.BudgetPeriods;
import dev.tokenmin.stream.budget.BudgetPublisher;
import dev.tokenmin.stream.budget.BudgetState;
import dev.tokenmin.stream.budget.Ladders;
import dev.tokenmin.stream.spend.LatestWindows;
import dev.tokenmin.stream.spend.ScopeSpendProcessor;
import dev.tokenmin.stream.topology.Names;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreType;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
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
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * The stream app's HTTP API. Any instance answers any query: a scope's state lives on the instance that owns its
 * partition, found through Kafka Streams' metadata, and a query for another instance's scope is forwarded there
 * (once; a forwarded query that finds ownership moved answers 503, to be retried).
 * <ul>
 *   <li>{@code GET /v1/spend?scope=&window=minute|hour|day|month|session[&at=instant]}: the scope's spend in the
 *   window holding {@code at} (default now); zeros when nothing was spent; a session scope has only
 *   {@code window=session}.</li>
 *   <li>{@code GET /v1/budgets/status?scope=[&budget_id=]}: the scope's budgets with spent, limit, percent and the
 *   step reached in the current period, and the scope's decision in force.</li>
 *   <li>{@code GET /v1/budgets/{id}}: one budget's status; {@code PUT /v1/budgets/{id}} creates or changes it
 *   (JSON as in {@link BudgetDocuments}; 400 naming each field at fault); {@code DELETE /v1/budgets/{id}}
 *   deletes it. Changes go to the budgets topic and are enforced within moments; they need the admin bearer
 *   token when one is configured.</li>
 *   <li>{@code GET /healthz} (the Kafka Streams client is alive), {@code /readyz} (running: state restored,
 *   queries answerable), {@code /metrics} (Prometheus).</li>
 * </ul>
 */
public final class QueryApi extends Handler.Abstract {

    static final String FORWARDED = "X-Tokenmin-Forwarded";
    private static final Logger LOG = LoggerFactory.getLogger(QueryApi.class);
    private static final StringSerializer KEYS = new StringSerializer();
    private static final int MAX_BODY = 64 * 1024;

    private final KafkaStreams streams;
    private final HostInfo self;
    private final PrometheusMeterRegistry meters;
    private final BudgetPublisher budgets;
    private final byte[] adminToken;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Clock clock;

    /** @param adminToken the bearer token budget changes need, or null when they need none */
    public QueryApi(KafkaStreams streams, HostInfo self, PrometheusMeterRegistry meters, BudgetPublisher budgets,
                    String adminToken, Clock clock) {
        this.streams = streams;
        this.self = self;
        this.meters = meters;
        this.budgets = budgets;
        this.adminToken = adminToken == null ? null : adminToken.getBytes(StandardCharsets.UTF_8);
        this.clock = clock;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = request.getHttpURI().getPath();
        String method = request.getMethod();
        Reply reply;
        try {
            reply = route(path, method, request);
        } catch (InvalidUsageException e) {
            reply = Reply.invalid(e, "nothing was changed");
        } catch (InvalidStateStoreException e) {
            reply = unavailable("state is being restored or moved (" + e.getMessage() + ")");
        } catch (RuntimeException e) {
            LOG.error("failed to answer {} {}: {}", method, path, e.toString());
            reply = Reply.error(500, "internal error; the request may be retried");
        }
        reply.send(response, callback);
        return true;
    }

    private Reply route(String path, String method, Request request) {
        if (path.startsWith("/v1/budgets/") && !path.equals("/v1/budgets/status")) {
            String id = path.substring("/v1/budgets/".length());
            return switch (method) {
                case "GET" -> budget(id);
                case "PUT" -> putBudget(id, request);
                case "DELETE" -> deleteBudget(id, request);
                default -> Reply.notAllowed("GET, PUT, DELETE");
            };
        }
        if (!"GET".equals(method)) {
            return Reply.notAllowed("GET");
        }
        Fields params = Request.extractQueryParameters(request);
        boolean forwarded = request.getHeaders().get(FORWARDED) != null;
        return switch (path) {
            case "/v1/spend" -> spend(params, forwarded);
            case "/v1/budgets/status" -> status(scopeParam(params), params.getValue("budget_id"), forwarded);
            case "/healthz" -> health();
            case "/readyz" -> readiness();
            case "/metrics" -> Reply.metrics(meters.scrape());
            default -> Reply.error(404, "no such endpoint: " + path);
        };
    }

    // ---- spend

    private Reply spend(Fields params, boolean forwarded) {
        String scope = scopeParam(params);
        String window = params.getValue("window");
        WindowKind kind;
        try {
            kind = WindowKind.valueOf(window == null ? "" : window.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidUsageException("window", "one of minute, hour, day, month, session, was " + window);
        }
        if (ScopeSpendProcessor.isSession(scope) && kind != WindowKind.SESSION) {
            throw new InvalidUsageException("window", "session, the only window of a session scope (its whole life), "
                    + "was " + window);
        }
        Instant at = clock.instant();
        String atParam = params.getValue("at");
        if (atParam != null) {
            try {
                at = Instant.parse(atParam);
            } catch (DateTimeParseException e) {
                throw new InvalidUsageException("at", "an instant such as 2026-11-22T14:00:00Z, was " + atParam);
            }
        }
        Instant when = at;
        String store = Names.spendStore(kind);
        return atOwner(store, scope, "/v1/spend?scope=" + encode(scope) + "&window=" + kind.name().toLowerCase(
                Locale.ROOT) + "&at=" + when, forwarded, partition -> localSpend(scope, kind, when, partition));
    }

    private Reply localSpend(String scope, WindowKind kind, Instant at, int partition) {
        long t = at.toEpochMilli();
        long start;
        long end;
        SpendAggregate agg;
        if (kind == WindowKind.SESSION) {
            agg = store(Names.spendStore(kind), QueryableStoreTypes.<String, SpendAggregate>keyValueStore(), partition)
                    .get(scope);
            start = agg == null ? t : agg.getWindowStart().toEpochMilli();
            end = agg == null ? t : agg.getWindowEnd().toEpochMilli();
        } else {
            start = LatestWindows.startOf(kind, t);
            end = LatestWindows.endOf(kind, start);
            ReadOnlyKeyValueStore<String, LatestWindows> latest = store(Names.SPEND_LATEST_STORE,
                    QueryableStoreTypes.keyValueStore(), partition);
            ReadOnlyWindowStore<String, SpendAggregate> closed = store(Names.spendStore(kind),
                    QueryableStoreTypes.windowStore(), partition);
            agg = ScopeSpendProcessor.window(latest.get(scope), kind, start, from -> closed.fetch(scope, from));
        }
        ObjectNode body = Reply.object().put("scope", scope).put("window", kind.name().toLowerCase(Locale.ROOT))
                .put("window_start", Instant.ofEpochMilli(start).toString())
                .put("window_end", Instant.ofEpochMilli(end).toString());
        long cost = agg == null ? 0 : agg.getCostNanos();
        body.put("cost_usd", NanoUsd.format(cost)).put("cost_nanos", cost);
        body.put("requests", agg == null ? 0 : agg.getRequests());
        body.put("unpriced_requests", agg == null ? 0 : agg.getUnpricedRequests());
        body.put("input_tokens", agg == null ? 0 : agg.getInputTokens());
        body.put("cached_input_tokens", agg == null ? 0 : agg.getCachedInputTokens());
        body.put("cache_write_tokens", agg == null ? 0 : agg.getCacheWriteTokens());
        body.put("output_tokens", agg == null ? 0 : agg.getOutputTokens());
        body.put("reasoning_tokens", agg == null ? 0 : agg.getReasoningTokens());
        ArrayNode models = body.putArray("by_model");
        if (agg != null) {
            for (ModelSpend m : agg.getByModel()) {
                models.addObject().put("provider", m.getProvider()).put("model", m.getModel())
                        .put("cost_usd", NanoUsd.format(m.getCostNanos())).put("cost_nanos", m.getCostNanos())
                        .put("requests", m.getRequests()).put("input_tokens", m.getInputTokens())
                        .put("output_tokens", m.getOutputTokens());
            }
        }
        return Reply.json(200, body);
    }

    // ---- budgets

    private Reply status(String scope, String budgetId, boolean forwarded) {
        String pathQuery = "/v1/budgets/status?scope=" + encode(scope)
                + (budgetId == null ? "" : "&budget_id=" + encode(budgetId));
        return atOwner(Names.BUDGETS_STORE, scope, pathQuery, forwarded,
                partition -> localStatus(scope, budgetId, partition));
    }

    private Reply localStatus(String scope, String budgetId, int partition) {
        ReadOnlyKeyValueStore<String, Budget> byKey = store(Names.BUDGETS_STORE, QueryableStoreTypes.keyValueStore(),
                partition);
        ReadOnlyKeyValueStore<String, BudgetState> states = store(Names.BUDGET_STATE_STORE,
                QueryableStoreTypes.keyValueStore(), partition);
        ReadOnlyKeyValueStore<String, ThrottleDecision> decisions = store(Names.DECISIONS_STORE,
                QueryableStoreTypes.keyValueStore(), partition);
        Instant now = clock.instant();
        ObjectNode body = Reply.object().put("scope", scope);
        ThrottleDecision decision = decisions.get(scope);
        if (decision == null) {
            body.putNull("decision");
        } else {
            body.set("decision", DecisionJson.of(decision));
        }
        ArrayNode list = body.putArray("budgets");
        try (var it = byKey.prefixScan(scope + "|", KEYS)) {
            it.forEachRemaining(kv -> {
                Budget b = kv.value;
                if (budgetId == null || budgetId.equals(b.getBudgetId())) {
                    list.add(budgetStatus(b, states.get(kv.key), now));
                }
            });
        }
        if (budgetId != null && list.isEmpty()) {
            return Reply.error(404, "no budget " + budgetId + " on " + scope);
        }
        return Reply.json(200, body);
    }

    private static ObjectNode budgetStatus(Budget b, BudgetState state, Instant now) {
        ObjectNode n = BudgetDocuments.toJson(b);
        BudgetPeriods.Period period = BudgetPeriods.of(b, now);
        boolean current = state != null && state.periodStart() == period.start().toEpochMilli();
        long spent = current ? state.spent() : 0;
        n.put("period_start", b.getPeriod() == BudgetPeriod.SESSION ? null : period.start().toString());
        n.put("period_end", period.end() == null ? null : period.end().toString());
        n.put("spent", spent);
        n.put("limit", b.getLimit());
        n.put("limit_unit", b.getLimitUnit().name());
        n.put("percent", Ladders.percent(spent, b.getLimit()));
        if (current && state.step() >= 0) {
            var step = Ladders.steps(b).get(state.step());
            n.putObject("step_reached").put("threshold_percent", step.getThresholdPercent())
                    .put("action", b.getHard() ? step.getAction().name() : "NONE");
        } else {
            n.putNull("step_reached");
        }
        return n;
    }

    private Reply budget(String id) {
        if (!ScopeKey.isValidId(id)) {
            throw new InvalidUsageException("budget_id", "must be " + ScopeKey.ID_RULE);
        }
        return atOwnerOfBudget(id);
    }

    /** Finds the budget's scope on the owner of its id, then asks the owner of the scope. */
    private Reply atOwnerOfBudget(String id) {
        KeyQueryMetadata md = streams.queryMetadataForKey(Names.BUDGET_INDEX_STORE, id, KEYS);
        if (md == null || HostInfo.unavailable().equals(md.activeHost())) {
            return unavailable("no instance owns budget " + id + " yet (starting or rebalancing)");
        }
        if (!md.activeHost().equals(self)) {
            return forward(md.activeHost(), "/v1/budgets/" + encode(id));
        }
        ReadOnlyKeyValueStore<String, String> index = store(Names.BUDGET_INDEX_STORE,
                QueryableStoreTypes.keyValueStore(), md.partition());
        String scope = index.get(id);
        if (scope == null) {
            return Reply.error(404, "no budget " + id);
        }
        return status(scope, id, false);
    }

    private Reply putBudget(String id, Request request) {
        Reply denied = authorize(request);
        if (denied != null) {
            return denied;
        }
        JsonNode node;
        try (InputStream in = Request.asInputStream(request)) {
            byte[] body = in.readNBytes(MAX_BODY + 1);
            if (body.length > MAX_BODY) {
                return Reply.error(413, "a budget is at most " + MAX_BODY + " bytes");
            }
            node = BudgetDocuments.JSON.readTree(body);
        } catch (IOException e) {
            throw new InvalidUsageException("body", "not JSON: " + e.getMessage());
        }
        if (node != null && node.isObject()) {
            JsonNode given = node.get("budget_id");
            if (given == null || given.isNull()) {
                ((ObjectNode) node).put("budget_id", id);
            } else if (!id.equals(given.asText())) {
                throw new InvalidUsageException("budget_id", "must be the id in the path, " + id);
            }
        }
        Budget budget = BudgetDocuments.parse(node, "", clock.instant());
        try {
            budgets.put(List.of(budget));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unavailable("interrupted");
        } catch (IllegalStateException e) {
            LOG.warn("budget {} not written: {}", id, e.getMessage());
            return unavailable(e.getMessage());
        }
        LOG.info("budget {} on {} put through the API", id, budget.getScope());
        return Reply.json(200, BudgetDocuments.toJson(budget));
    }

    private Reply deleteBudget(String id, Request request) {
        Reply denied = authorize(request);
        if (denied != null) {
            return denied;
        }
        if (!ScopeKey.isValidId(id)) {
            throw new InvalidUsageException("budget_id", "must be " + ScopeKey.ID_RULE);
        }
        try {
            budgets.delete(List.of(id));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unavailable("interrupted");
        } catch (IllegalStateException e) {
            return unavailable(e.getMessage());
        }
        LOG.info("budget {} deleted through the API", id);
        return Reply.json(202, Reply.object().put("deleted", id));
    }

    private Reply authorize(Request request) {
        if (adminToken == null) {
            return null;
        }
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        byte[] given = header != null && header.startsWith("Bearer ")
                ? header.substring(7).strip().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (MessageDigest.isEqual(given, adminToken)) {
            return null;
        }
        return Reply.error(401, "changing budgets needs the admin bearer token")
                .header("WWW-Authenticate", "Bearer realm=\"tokenmin\"");
    }

    // ---- health

    private Reply health() {
        KafkaStreams.State state = streams.state();
        boolean alive = state != KafkaStreams.State.ERROR && state != KafkaStreams.State.NOT_RUNNING
                && state != KafkaStreams.State.PENDING_ERROR;
        return Reply.json(alive ? 200 : 503, Reply.object().put("status", alive ? "up" : "down")
                .put("streams", state.name()));
    }

    private Reply readiness() {
        KafkaStreams.State state = streams.state();
        boolean ready = state == KafkaStreams.State.RUNNING;
        return Reply.json(ready ? 200 : 503, Reply.object().put("ready", ready).put("streams", state.name()));
    }

    // ---- ownership

    private Reply atOwner(String store, String key, String pathQuery, boolean forwarded, IntFunction<Reply> local) {
        KeyQueryMetadata md = streams.queryMetadataForKey(store, key, KEYS);
        if (md == null || HostInfo.unavailable().equals(md.activeHost())) {
            return unavailable("no instance owns " + key + " yet (starting or rebalancing)");
        }
        if (md.activeHost().equals(self)) {
            return local.apply(md.partition());
        }
        if (forwarded) {
            return unavailable("ownership of " + key + " is moving");
        }
        return forward(md.activeHost(), pathQuery);
    }

    private Reply forward(HostInfo owner, String pathQuery) {
        URI uri = URI.create("http://" + owner.host() + ":" + owner.port() + pathQuery);
        try {
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5))
                    .header(FORWARDED, self.host() + ":" + self.port()).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse("application/json"),
                    r.body(), new ArrayList<>());
        } catch (IOException e) {
            LOG.warn("could not forward a query to its owner {}:{}: {}", owner.host(), owner.port(), e.toString());
            return Reply.error(502, "the instance owning this scope (" + owner.host() + ":" + owner.port()
                    + ") did not answer");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unavailable("interrupted");
        }
    }

    /**
     * The key's partition of a local store. Pinned to the partition, so that while its task is restoring or moving
     * here the read fails (503) instead of finding nothing and answering zero, as a query over all local partitions
     * would.
     */
    private <T> T store(String name, QueryableStoreType<T> type, int partition) {
        return streams.store(StoreQueryParameters.fromNameAndType(name, type).withPartition(partition));
    }

    private static String scopeParam(Fields params) {
        String scope = params.getValue("scope");
        if (scope == null) {
            throw new InvalidUsageException("scope", "missing, e.g. customer:acme or customer:acme/user:u1");
        }
        try {
            String canonical = ScopeKey.parse(scope).toString();
            if (!canonical.equals(scope)) {
                throw new InvalidUsageException("scope", "write it as " + canonical);
            }
            return canonical;
        } catch (IllegalArgumentException e) {
            throw new InvalidUsageException("scope", e.getMessage());
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static Reply unavailable(String why) {
        return Reply.error(503, why + "; retry shortly").header("Retry-After", "1");
    }
}
