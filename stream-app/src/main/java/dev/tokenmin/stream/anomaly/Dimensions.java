package dev.tokenmin.stream.anomaly;

import dev.tokenmin.avro.UsageEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The dimension keys an event counts in for anomaly detection: {@code feature:summarize} (a feature across
 * customers), {@code customer:acme}, {@code customer:acme/feature:summarize}, {@code model:openai/gpt-4.1}. The
 * dimension is the key's shape, so {@link #dimensionOf} reads it back.
 */
public final class Dimensions {

    private Dimensions() {
    }

    public static List<String> keys(UsageEvent e, Set<String> watched) {
        List<String> keys = new ArrayList<>(4);
        String feature = e.getFeature();
        if (feature != null && watched.contains("feature")) {
            keys.add("feature:" + feature);
        }
        if (watched.contains("customer")) {
            keys.add("customer:" + e.getCustomerId());
        }
        if (feature != null && watched.contains("customer/feature")) {
            keys.add("customer:" + e.getCustomerId() + "/feature:" + feature);
        }
        if (watched.contains("model")) {
            keys.add("model:" + e.getProvider() + "/" + e.getModel());
        }
        return keys;
    }

    /** {@code feature}, {@code customer}, {@code customer/feature} or {@code model}. */
    public static String dimensionOf(String key) {
        if (key.startsWith("feature:")) {
            return "feature";
        }
        if (key.startsWith("model:")) {
            return "model";
        }
        return key.contains("/feature:") ? "customer/feature" : "customer";
    }
}
