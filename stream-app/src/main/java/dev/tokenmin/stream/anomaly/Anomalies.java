package dev.tokenmin.stream.anomaly;

import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.AlertKind;
import dev.tokenmin.avro.AnomalyCause;
import dev.tokenmin.avro.AnomalyDetail;
import dev.tokenmin.avro.AnomalyFactor;
import dev.tokenmin.avro.Contributor;
import dev.tokenmin.avro.Severity;
import dev.tokenmin.avro.WindowKind;
import dev.tokenmin.schemas.NanoUsd;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/** Builds ANOMALY alerts: what moved, the top contributors, and a one-line summary for people. */
final class Anomalies {

    private Anomalies() {
    }

    /**
     * @param windows   how many baseline windows {@code sums} adds up (0 when there are no sums, month to date)
     * @param sums      the baseline windows' totals, or null
     */
    static Alert alert(String key, String dimension, WindowKind kind, long start, long end, Bucket current,
                       long baseline, long ratioMicros, int windows, Bucket sums, Map<String, Long> models,
                       Map<String, Long> users, Instant raisedAt) {
        List<AnomalyCause> causes = sums == null ? List.of() : causes(current, windows, sums);
        List<Contributor> top = new ArrayList<>();
        top.addAll(top("user", users, current.cost));
        top.addAll(top("model", models, current.cost));
        top.sort(Comparator.comparingLong(Contributor::getCostNanos).reversed());
        String summary = key + ": " + kind.name().toLowerCase(Locale.ROOT) + (kind == WindowKind.MONTH
                ? " to date " : " ") + "spend " + times(ratioMicros) + " its baseline (" + NanoUsd.format(current.cost)
                + " USD vs " + NanoUsd.format(baseline) + " USD)" + (causes.isEmpty() ? ""
                : ": " + describe(causes.getFirst().getFactor()) + " " + times(causes.getFirst().getRatioMicros()));
        return Alert.newBuilder()
                .setAlertId(UUID.nameUUIDFromBytes(("anomaly|" + key + "|" + kind + "|" + start)
                        .getBytes(StandardCharsets.UTF_8)))
                .setKind(AlertKind.ANOMALY).setSeverity(Severity.WARNING).setScope(key).setRaisedAt(raisedAt)
                .setSummary(summary)
                .setDetail(AnomalyDetail.newBuilder().setDimension(dimension).setWindowKind(kind)
                        .setWindowStart(Instant.ofEpochMilli(start)).setWindowEnd(Instant.ofEpochMilli(end))
                        .setCurrentNanos(current.cost).setBaselineNanos(baseline).setRatioMicros(ratioMicros)
                        .setCauses(causes).setTopContributors(top).build())
                .build();
    }

    /** Each factor's current value over its baseline value, largest first; a factor without a base is left out. */
    static List<AnomalyCause> causes(Bucket cur, int windows, Bucket sums) {
        List<AnomalyCause> causes = new ArrayList<>();
        // Volume: this window's requests over the baseline windows' average.
        add(causes, AnomalyFactor.REQUEST_VOLUME, product(cur.requests, windows), sums.requests);
        // Per request: (current tokens / current requests) over (baseline tokens / baseline requests).
        add(causes, AnomalyFactor.INPUT_TOKENS_PER_REQUEST, product(cur.promptTokens, sums.requests),
                product(cur.requests, sums.promptTokens));
        add(causes, AnomalyFactor.OUTPUT_TOKENS_PER_REQUEST, product(cur.outputTokens, sums.requests),
                product(cur.requests, sums.outputTokens));
        // Model mix: cost per billed token, which rises when calls move to costlier models.
        add(causes, AnomalyFactor.MODEL_MIX, product(cur.cost, sums.billedTokens),
                product(cur.billedTokens, sums.cost));
        causes.sort(Comparator.comparingLong(AnomalyCause::getRatioMicros).reversed());
        return causes;
    }

    private static BigInteger product(long a, long b) {
        return BigInteger.valueOf(a).multiply(BigInteger.valueOf(b));
    }

    private static void add(List<AnomalyCause> causes, AnomalyFactor factor, BigInteger value, BigInteger base) {
        if (base.signum() > 0) {
            BigInteger r = value.multiply(BigInteger.valueOf(1_000_000)).divide(base);
            causes.add(AnomalyCause.newBuilder().setFactor(factor)
                    .setRatioMicros(r.bitLength() < 63 ? r.longValue() : Long.MAX_VALUE).build());
        }
    }

    private static void add(List<AnomalyCause> causes, AnomalyFactor factor, BigInteger value, long base) {
        add(causes, factor, value, BigInteger.valueOf(base));
    }

    private static List<Contributor> top(String dimension, Map<String, Long> costs, long total) {
        return costs.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(3)
                .map(e -> Contributor.newBuilder().setDimension(dimension).setId(e.getKey())
                        .setCostNanos(e.getValue())
                        .setShareBasisPoints(total <= 0 ? 0 : (int) (e.getValue() * 10_000 / total)).build())
                .toList();
    }

    static String describe(AnomalyFactor factor) {
        return switch (factor) {
            case REQUEST_VOLUME -> "request volume";
            case INPUT_TOKENS_PER_REQUEST -> "input tokens per request (context inflation)";
            case OUTPUT_TOKENS_PER_REQUEST -> "output tokens per request";
            case MODEL_MIX -> "cost per token (model mix)";
        };
    }

    /** "x4.2" from millionths. */
    static String times(long micros) {
        return "x" + BigDecimal.valueOf(micros, 6).setScale(1, RoundingMode.HALF_UP).toPlainString();
    }
}
