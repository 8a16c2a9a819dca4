package dev.tokenmin.benchmarks.load;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.query.GenericRecord;
import dev.tokenmin.avro.ThrottleAction;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.ingest.throttle.ThrottleView;
import dev.tokenmin.schemas.scope.ScopeKey;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The decision latency probe: {@code count} users of one customer, each crossed by one event of exactly 1 USD
 * (gpt-4.1, 500,000 input tokens at the bundled 2 USD per million), 20 ms apart, timed from {@code emit()} to the
 * BLOCK decision's arrival at the agent's throttle view. The budgets themselves are the caller's: the app's are
 * published to its budgets topic, the decision floor's are built into its topology.
 */
final class Crossings {

    /** A second of the timeline, UTC ({@code LocalTime.toString} would drop the seconds of a whole minute). */
    private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    /** Why a harness crosses other budgets before its probe: the help of its {@code --cold-crossings} option. */
    static final String COLD_CROSSINGS_WHY = "the first decisions run code the background traffic never reached, "
            + "which the JIT compiles only then";

    /** What each crossing user may spend: the crossing event costs exactly this. */
    static final long LIMIT_NANOS = 1_000_000_000L;

    private final String customer;
    private final int count;
    private final long[] emittedAt;
    private final long[] emittedAtMillis;
    private final Map<String, Long> arrivedAt = new ConcurrentHashMap<>();
    private final Map<String, Long> decidedAt = new ConcurrentHashMap<>();

    /** Listens to {@code view} for the BLOCK decisions of {@code customer}'s crossing users. */
    Crossings(String customer, int count, ThrottleView view) {
        this.customer = customer;
        this.count = count;
        this.emittedAt = new long[count];
        this.emittedAtMillis = new long[count];
        Set<String> scopes = new HashSet<>();
        for (int i = 0; i < count; i++) {
            scopes.add(scope(i));
        }
        view.addListener((scope, before, after) -> {
            if (scopes.contains(scope) && after != null && after.getAction() == ThrottleAction.BLOCK) {
                arrivedAt.putIfAbsent(scope, System.nanoTime());
                decidedAt.putIfAbsent(scope, after.getDecidedAt().toEpochMilli());
            }
        });
    }

    int count() {
        return count;
    }

    String customer() {
        return customer;
    }

    /** The user id of crossing {@code i}. */
    static String user(int i) {
        return "u" + i;
    }

    /** The scope key of crossing {@code i}, as the throttle topic keys its decision. */
    String scope(int i) {
        return scope(customer, i);
    }

    /** The scope key of {@code customer}'s crossing {@code i}. */
    static String scope(String customer, int i) {
        return ScopeKey.user(customer, user(i)).toString();
    }

    /** Hands the crossings to {@code emit} (the SDK's, as a rule), 20 ms apart. */
    void emit(Consumer<UsageEvent> emit) throws InterruptedException {
        for (int i = 0; i < count; i++) {
            emittedAt[i] = System.nanoTime();
            emittedAtMillis[i] = System.currentTimeMillis();
            emit.accept(UsageEvent.newBuilder().setEventId(UUID.randomUUID()).setOccurredAt(Instant.now())
                    .setSource("gw-load").setCustomerId(customer).setUserId(user(i)).setFeature("chat")
                    .setProvider("openai").setModel("gpt-4.1").setInputTokens(500_000).setOutputTokens(0).build());
            Thread.sleep(20); // paces the crossings, so each latency is its own
        }
    }

    /** Waits until every crossing's decision is at the view or {@code timeout} has passed; returns how many are not. */
    int awaitDecisions(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (arrivedAt.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(50); // waiting for the last decisions
        }
        return missing();
    }

    /** How many crossings' decisions have not reached the view yet. */
    int missing() {
        return count - arrivedAt.size();
    }

    /**
     * One line for crossings sent to warm the decision path up before a probe: their latency, printed and not
     * recorded as the probe's.
     */
    String coldSummary() {
        return String.format("  (cold decision path, %d crossings before the probe's: %s, %d missing; not the probe)%n",
                count, emitToView().summary(), missing());
    }

    /** When crossing {@code i}'s decision reached the view ({@code System.nanoTime()}), or null. */
    Long arrivedAt(int i) {
        return arrivedAt.get(scope(i));
    }

    /** The decision's {@code decided_at} (the deciding app's wall clock, epoch ms), or null. */
    Long decidedAtMillis(int i) {
        return decidedAt.get(scope(i));
    }

    long emittedAt(int i) {
        return emittedAt[i];
    }

    long emittedAtMillis(int i) {
        return emittedAtMillis[i];
    }

    /** From {@code emit()} to the view, over the crossings whose decision arrived. */
    Latencies emitToView() {
        Latencies l = new Latencies();
        for (int i = 0; i < count; i++) {
            Long at = arrivedAt(i);
            if (at != null) {
                l.record(at - emittedAt[i]);
            }
        }
        return l;
    }

    /** Where each crossing's time went, at the deciding app's two wall-clock stamps. */
    record Split(Latencies toDecision, Latencies toPriced, Latencies pricedToDecision, Latencies toView) {
        String summary() {
            return String.format("  emit() -> decided: %s%n    emit() -> priced: %s%n    priced -> decided: %s%n"
                    + "  decided -> at the view: %s%n", toDecision.summary(), toPriced.summary(),
                    pricedToDecision.summary(), toView.summary());
        }
    }

    /**
     * Splits each latency at the decision's {@code decided_at}: the way in (agent, Kafka, pricing, the by-scope
     * repartition) and the way out (commit, throttle topic, the view); and the way in again at the event's
     * {@code priced_at} from {@code pricedAt} (by user id, see {@link #pricedAt}): agent, Kafka and the usage task's
     * read, then its commit, the repartition topic and the budget check. The app's clock and this JVM's are one here.
     */
    Split split(Map<String, Long> pricedAt) {
        Split split = new Split(new Latencies(), new Latencies(), new Latencies(), new Latencies());
        for (int i = 0; i < count; i++) {
            Long at = arrivedAt(i);
            Long decided = decidedAtMillis(i);
            if (at == null || decided == null) {
                continue;
            }
            long in = Math.max(0, decided - emittedAtMillis[i]) * 1_000_000;
            split.toDecision().record(in);
            split.toView().record(Math.max(0, at - emittedAt[i] - in));
            Long priced = pricedAt.get(user(i));
            if (priced != null) {
                split.toPriced().record(Math.max(0, priced - emittedAtMillis[i]) * 1_000_000);
                split.pricedToDecision().record(Math.max(0, decided - priced) * 1_000_000);
            }
        }
        return split;
    }

    /**
     * One line per second of sending (this JVM's wall clock): how many crossings were sent in it and the slowest of
     * them, split as {@link #split} does. Says whether a tail is a few crossings spread over the run or one stall that
     * held every crossing of a second, which a percentile cannot; the clock lines up with other per-second records of
     * the machine ({@code vmstat -t 1}, the broker's log).
     */
    String timeline(Map<String, Long> pricedAt) {
        StringBuilder out = new StringBuilder("  slowest crossing by second of sending:");
        long second = -1;
        int slowest = -1;
        int sent = 0;
        for (int i = 0; i <= count; i++) {
            long s = i < count ? emittedAtMillis[i] / 1000 : Long.MAX_VALUE;
            if (s != second && slowest >= 0) {
                out.append(System.lineSeparator()).append(String.format("    %s  %3d sent, slowest %s",
                        SECOND.format(Instant.ofEpochSecond(second)), sent,
                        legs(slowest, pricedAt)));
                slowest = -1;
                sent = 0;
            }
            if (i == count) {
                break;
            }
            second = s;
            sent++;
            Long at = arrivedAt(i);
            if (at != null && (slowest < 0 || at - emittedAt[i] > arrivedAt(slowest) - emittedAt[slowest])) {
                slowest = i;
            }
        }
        return out.append(System.lineSeparator()).toString();
    }

    private String legs(int i, Map<String, Long> pricedAt) {
        long total = (arrivedAt(i) - emittedAt[i]) / 1_000_000;
        Long priced = pricedAt.get(user(i));
        Long decided = decidedAtMillis(i);
        return String.format("%,d ms (priced after %s, decided after %s)", total,
                priced == null ? "?" : String.format("%,d ms", priced - emittedAtMillis[i]),
                decided == null ? "?" : String.format("%,d ms", decided - emittedAtMillis[i]));
    }

    /** When the app priced each of this customer's events (its {@code priced_at}), by user, from ClickHouse. */
    Map<String, Long> pricedAt(Client clickHouse, String database) {
        Map<String, Long> at = new HashMap<>();
        for (GenericRecord r : clickHouse.queryAll("SELECT user_id, toUnixTimestamp64Milli(priced_at) AS at FROM "
                + database + ".usage_events WHERE customer_id = '" + customer + "'")) {
            at.put(r.getString("user_id"), r.getLong("at"));
        }
        return at;
    }
}
