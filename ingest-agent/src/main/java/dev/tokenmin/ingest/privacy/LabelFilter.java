package dev.tokenmin.ingest.privacy;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps only allow-listed labels on an event, so free-form text (or anything else a caller puts in a label) never
 * leaves the gateway. Dropped labels are counted, never logged: their values may be exactly what must not leak.
 */
public final class LabelFilter {

    /** The labels allowed when none are configured: deployment facts with few values. */
    public static final Set<String> DEFAULT_ALLOWED = Set.of("env", "region", "service", "version");

    private final Set<String> allowed;
    private final AtomicLong dropped = new AtomicLong();

    public LabelFilter(Set<String> allowed) {
        this.allowed = Set.copyOf(allowed);
    }

    /** The labels of {@code labels} on the allow-list; the same map when nothing is dropped. */
    public Map<String, String> filter(Map<String, String> labels) {
        if (labels.isEmpty() || allowed.containsAll(labels.keySet())) {
            return labels;
        }
        Map<String, String> kept = new HashMap<>();
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (allowed.contains(e.getKey())) {
                kept.put(e.getKey(), e.getValue());
            } else {
                dropped.incrementAndGet();
            }
        }
        return kept;
    }

    /** Labels dropped so far. */
    public long dropped() {
        return dropped.get();
    }

    public Set<String> allowed() {
        return allowed;
    }
}
