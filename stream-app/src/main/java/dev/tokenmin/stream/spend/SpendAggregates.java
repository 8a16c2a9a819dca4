package dev.tokenmin.stream.spend;

import dev.tokenmin.avro.ModelSpend;
import dev.tokenmin.avro.SpendAggregate;
import dev.tokenmin.avro.WindowKind;

import java.time.Instant;
import java.util.ArrayList;

/** Building spend aggregates: an empty one, and adding counted spend to it (exact integer sums). */
public final class SpendAggregates {

    private SpendAggregates() {
    }

    /** An aggregate with nothing in it yet; scope and window are set when it is published. */
    public static SpendAggregate empty() {
        return SpendAggregate.newBuilder().setScope("").setWindowKind(WindowKind.MINUTE)
                .setWindowStart(Instant.EPOCH).setWindowEnd(Instant.EPOCH).setCostNanos(0).setRequests(0)
                .setUnpricedRequests(0).setInputTokens(0).setCachedInputTokens(0).setCacheWriteTokens(0)
                .setOutputTokens(0).setReasoningTokens(0).setByModel(new ArrayList<>()).setUpdatedAt(Instant.EPOCH)
                .build();
    }

    /** Adds {@code u} to {@code agg} (which it changes and returns). */
    public static SpendAggregate add(SpendAggregate agg, SpendDelta u) {
        agg.setCostNanos(Math.addExact(agg.getCostNanos(), u.costNanos()));
        agg.setRequests(agg.getRequests() + u.requests());
        agg.setUnpricedRequests(agg.getUnpricedRequests() + u.unpricedRequests());
        agg.setInputTokens(agg.getInputTokens() + u.inputTokens());
        agg.setCachedInputTokens(agg.getCachedInputTokens() + u.cachedInputTokens());
        agg.setCacheWriteTokens(agg.getCacheWriteTokens() + u.cacheWriteTokens());
        agg.setOutputTokens(agg.getOutputTokens() + u.outputTokens());
        agg.setReasoningTokens(agg.getReasoningTokens() + u.reasoningTokens());
        for (SpendDelta.ModelDelta d : u.byModel()) {
            ModelSpend model = modelOf(agg, d);
            model.setCostNanos(Math.addExact(model.getCostNanos(), d.costNanos()));
            model.setRequests(model.getRequests() + d.requests());
            model.setInputTokens(model.getInputTokens() + d.inputTokens());
            model.setOutputTokens(model.getOutputTokens() + d.outputTokens());
        }
        // The latest event time in the aggregate: deterministic on replay, unlike the wall clock.
        if (u.lastAt() > agg.getUpdatedAt().toEpochMilli()) {
            agg.setUpdatedAt(Instant.ofEpochMilli(u.lastAt()));
        }
        return agg;
    }

    private static ModelSpend modelOf(SpendAggregate agg, SpendDelta.ModelDelta d) {
        for (ModelSpend m : agg.getByModel()) {
            if (m.getProvider().equals(d.provider()) && m.getModel().equals(d.model())) {
                return m;
            }
        }
        ModelSpend model = ModelSpend.newBuilder().setProvider(d.provider()).setModel(d.model()).setCostNanos(0)
                .setRequests(0).setInputTokens(0).setOutputTokens(0).build();
        agg.getByModel().add(model);
        return model;
    }

    /** The spend topic's key: {@code scope|KIND|window start}, e.g. {@code customer:acme|HOUR|2026-11-22T14:00:00Z}. */
    public static String key(String scope, WindowKind kind, Instant start) {
        return scope + "|" + kind + "|" + startText(kind, start);
    }

    /** The last window start written per kind, with its text: nearly every key of a kind names the same start. */
    private record StartText(Instant start, String text) {
    }

    private static final StartText[] LAST_START = new StartText[WindowKind.values().length];

    /**
     * {@code start.toString()}, remembered per kind: formatting an instant per published window was 1% of the stream
     * thread. Stream threads share the array; a record is immutable, so a thread sees a whole one or recomputes.
     */
    private static String startText(WindowKind kind, Instant start) {
        StartText last = LAST_START[kind.ordinal()];
        if (last != null && last.start().equals(start)) {
            return last.text();
        }
        String text = start.toString();
        LAST_START[kind.ordinal()] = new StartText(start, text);
        return text;
    }

    /**
     * A session total's key on the spend topic: {@code session:s-42|SESSION}, without a start, because a session's
     * first call may arrive after later ones and move its start; one key keeps one total per session.
     */
    public static String sessionKey(String scope) {
        return scope + "|" + WindowKind.SESSION;
    }
}
