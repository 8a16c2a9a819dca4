package dev.tokenmin.pipeline.simulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

/**
 * The scripted incidents, in simulated time from the start of the span, on top of the steady traffic:
 * <ol>
 *   <li>a heavy user starts hammering a feature with hard prompts, until their monthly hard cap degrades them
 *       (cheaper tier at 50%, capped context at 80%) and finally refuses them ("budget exhausted") at 100%;</li>
 *   <li>an agent session runs away: a loop whose context grows by every step, until its session cap blocks it;
 *       the agent keeps retrying for a while, every try refused;</li>
 *   <li>one feature's prompts inflate for an hour (a release that stuffs four times the context into every call,
 *       then rolled back); anomaly detection raises an alert naming context inflation within that hour.</li>
 * </ol>
 * The budgets for the first two are created before traffic starts. Anomaly detection runs with settings for a
 * short run ({@link #streamSettings()}): hours are judged once three hours are known, and at 2.5× the baseline,
 * because a 4× context inflation raises a prompt-heavy feature's spend about 3.4× (answers do not grow), which the
 * default 4× threshold would only catch if the output shrank to nothing.
 */
public record Scenario(String heavyCustomer, String heavyUser, String heavyFeature, Duration heavyFrom,
                       Duration heavyEvery, String userCapUsd, String runawayCustomer, String runawaySession,
                       Duration runawayFrom, Duration runawayEvery, Duration runawayFor, String sessionCapUsd,
                       String inflatedFeature, int inflationFactor, Duration inflationFrom, Duration inflationFor) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The scenario of {@code tokenmin up}: everything happens within the first five simulated hours. */
    public static Scenario standard() {
        return new Scenario("acme", "u-0042", "code-assist", Duration.ofMinutes(15), Duration.ofSeconds(10), "15",
                "globex", "globex-research-7781", Duration.ofHours(1), Duration.ofSeconds(8), Duration.ofHours(1),
                "10", "summarize", 4, Duration.ofHours(4), Duration.ofHours(1));
    }

    /** Simulated time the scenario needs to play out: the inflated hour included. */
    public Duration length() {
        return inflationFrom.plus(inflationFor);
    }

    public String userBudgetId() {
        return heavyCustomer + "-" + heavyUser + "-monthly";
    }

    public String sessionBudgetId() {
        return runawaySession + "-cap";
    }

    public String userScope() {
        return "customer:" + heavyCustomer + "/user:" + heavyUser;
    }

    public String sessionScope() {
        return "session:" + runawaySession;
    }

    /** The stream app's settings for a short run (see the class comment). */
    public static Map<String, String> streamSettings() {
        return Map.of("anomaly.threshold", "2.5", "anomaly.min.history.hours", "3",
                "anomaly.dimensions", "feature,customer,model");
    }

    /**
     * The budgets, as the stream app's API takes them: the heavy user's monthly hard cap with its ladder, and the
     * runaway session's cap.
     *
     * @param zone the time zone of the monthly budget's calendar ({@link #budgetZone})
     */
    public List<ObjectNode> budgets(ZoneId zone) {
        ObjectNode user = JSON.createObjectNode().put("budget_id", userBudgetId()).put("scope", userScope())
                .put("period", "month").put("time_zone", zone.getId()).put("limit_usd", userCapUsd).put("hard", true);
        ArrayNode ladder = user.putArray("ladder");
        ladder.addObject().put("threshold_percent", 50).put("action", "downgrade").put("max_model_tier", "medium");
        ladder.addObject().put("threshold_percent", 80).put("action", "limit_context").put("max_model_tier", "medium")
                .put("max_input_tokens", 1_500);
        ladder.addObject().put("threshold_percent", 100).put("action", "block");
        ObjectNode session = JSON.createObjectNode().put("budget_id", sessionBudgetId()).put("scope", sessionScope())
                .put("period", "session").put("limit_usd", sessionCapUsd).put("hard", true);
        session.putArray("ladder").addObject().put("threshold_percent", 100).put("action", "block");
        return List.of(user, session);
    }

    /** One line per incident, for the screen. */
    public List<String> script() {
        return List.of(
                "+" + hm(heavyFrom) + " " + heavyCustomer + "/" + heavyUser + " hammers " + heavyFeature + " (cap "
                        + userCapUsd + " USD/month: 50% downgrade, 80% limit context, 100% block)",
                "+" + hm(runawayFrom) + " agent session " + runawaySession + " loops (cap " + sessionCapUsd
                        + " USD/session)",
                "+" + hm(inflationFrom) + " " + inflatedFeature + " prompts grow " + inflationFactor + "x for "
                        + inflationFor.toMinutes() + " min (a release, rolled back)");
    }

    private static String hm(Duration d) {
        return String.format("%d:%02d", d.toHours(), d.toMinutesPart());
    }

    /**
     * The time zone whose calendar months the heavy user's monthly budget follows: UTC, unless the simulated span
     * crosses the start of a UTC month (a run in the first hours of a month replays the end of the last one); then a
     * zone far enough east or west that the whole span falls in one of its months. Otherwise the cap would be
     * reached partly in a month whose period, and so whose decision, has already ended.
     */
    public static ZoneId budgetZone(Instant from, Instant to) {
        for (String id : List.of("UTC", "Pacific/Pago_Pago", "Pacific/Kiritimati")) {
            ZoneId zone = ZoneId.of(id);
            if (YearMonth.from(from.atZone(zone)).equals(YearMonth.from(to.atZone(zone)))) {
                return zone;
            }
        }
        return ZoneId.of("UTC");
    }
}
