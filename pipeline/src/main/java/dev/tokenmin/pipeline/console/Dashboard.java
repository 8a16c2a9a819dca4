package dev.tokenmin.pipeline.console;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.query.GenericRecord;
import com.clickhouse.client.api.query.QuerySettings;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.clickhouse.sink.Sinks;
import dev.tokenmin.ingest.throttle.ThrottleView;
import dev.tokenmin.pipeline.console.Snapshot.AlertLine;
import dev.tokenmin.pipeline.console.Snapshot.Decision;
import dev.tokenmin.pipeline.console.Snapshot.Spend;
import dev.tokenmin.pipeline.simulator.SimCounts;
import dev.tokenmin.pipeline.simulator.Simulator;
import dev.tokenmin.stream.topology.MeteringCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Gathers a {@link Snapshot} from the running pipeline, each figure from where an operator would read it: counts
 * from the simulator and the stream app's counters, spend and alerts from ClickHouse (the ledger), decisions from
 * the sidecar's throttle view (what the routing service obeys).
 */
public final class Dashboard {

    private static final Logger LOG = LoggerFactory.getLogger(Dashboard.class);
    private static final DateTimeFormatter PARAM = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneOffset.UTC);

    private final Simulator simulator;
    private final Sinks sinks;
    private final ThrottleView decisions;
    private final Client clickHouse;
    private final String database;
    private final Instant alertsSince;
    private long lastNanos;
    private long lastSent;
    private long lastPriced;
    private long lastStored;
    private boolean warned;

    /**
     * @param alertsSince show alerts raised from this (wall-clock) instant on
     */
    public Dashboard(Simulator simulator, Sinks sinks, ThrottleView decisions, Client clickHouse, String database,
                     Instant alertsSince) {
        this.simulator = simulator;
        this.sinks = sinks;
        this.decisions = decisions;
        this.clickHouse = clickHouse;
        this.database = database;
        this.alertsSince = alertsSince;
    }

    /** Events the stream app has priced (or counted unpriced) in this process. */
    public static long priced() {
        return MeteringCounters.PRICED.get() + MeteringCounters.UNPRICED.get();
    }

    public Snapshot snapshot() {
        SimCounts c = simulator.counts();
        long now = System.nanoTime();
        long sent = c.sent();
        long priced = priced();
        long stored = sinks.usageRows();
        double seconds = lastNanos == 0 ? 0 : (now - lastNanos) / 1e9;
        Snapshot s = new Snapshot(simulator.clock().now(), simulator.clock().speed(),
                Duration.between(simulator.clock().start(), simulator.clock().now())
                        .dividedBy(simulator.clock().speed()),
                simulator.clock().realDuration(), c.offered(), sent, c.refused(), c.downgraded(), c.trimmed(), priced,
                stored, rate(sent - lastSent, seconds), rate(priced - lastPriced, seconds),
                rate(stored - lastStored, seconds), spend("feature"), spend("customer_id"), decisionsInForce(),
                alerts(), alertCount());
        lastNanos = now;
        lastSent = sent;
        lastPriced = priced;
        lastStored = stored;
        return s;
    }

    private static double rate(long delta, double seconds) {
        return seconds <= 0 ? 0 : delta / seconds;
    }

    private List<Spend> spend(String column) {
        List<Spend> rows = new ArrayList<>();
        for (GenericRecord r : query("SELECT " + column + " AS name, count() AS requests, sum(total_cost_nanos) AS cost"
                + " FROM usage_events WHERE occurred_at >= {since:DateTime64(3)} GROUP BY name ORDER BY cost DESC",
                Map.of("since", PARAM.format(simulator.clock().start())))) {
            rows.add(new Spend(r.getString("name"), r.getLong("requests"), r.getLong("cost")));
        }
        return rows;
    }

    private List<AlertLine> alerts() {
        List<AlertLine> rows = new ArrayList<>();
        for (GenericRecord r : query("SELECT raised_at, severity, kind, scope, summary FROM alerts"
                + " WHERE raised_at >= {since:DateTime64(3)} ORDER BY raised_at DESC LIMIT 5",
                Map.of("since", PARAM.format(alertsSince)))) {
            rows.add(new AlertLine(r.getInstant("raised_at"), r.getString("severity"), r.getString("kind"),
                    r.getString("scope"), r.getString("summary")));
        }
        return rows;
    }

    private long alertCount() {
        List<GenericRecord> rows = query("SELECT count() AS n FROM alerts WHERE raised_at >= {since:DateTime64(3)}",
                Map.of("since", PARAM.format(alertsSince)));
        return rows.isEmpty() ? 0 : rows.getFirst().getLong("n");
    }

    private List<Decision> decisionsInForce() {
        List<Decision> rows = new ArrayList<>();
        for (ThrottleDecision d : decisions.decisionsInForce()) {
            rows.add(new Decision(d.getAction().name(), d.getScope(), d.getReason()));
        }
        return rows;
    }

    /** A query the view can live without for a refresh: ClickHouse being slow or away costs a blank table. */
    private List<GenericRecord> query(String sql, Map<String, Object> params) {
        try {
            return clickHouse.queryAll(sql, params, new QuerySettings().setDatabase(database));
        } catch (RuntimeException e) {
            if (!warned) {
                LOG.warn("live view cannot query ClickHouse: {}", e.getMessage());
                warned = true;
            }
            return List.of();
        }
    }
}
