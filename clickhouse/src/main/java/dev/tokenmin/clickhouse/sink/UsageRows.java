package dev.tokenmin.clickhouse.sink;

import com.clickhouse.client.api.data_formats.RowBinaryFormatWriter;
import dev.tokenmin.avro.CostBreakdown;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.UsageEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;

/** One priced event as one {@code usage_events} row (absent strings are '', as the table documents). */
public final class UsageRows {

    private UsageRows() {
    }

    public static void write(RowBinaryFormatWriter w, ConsumerRecord<String, PricedUsage> record) {
        PricedUsage p = record.value();
        UsageEvent e = p.getEvent();
        CostBreakdown c = p.getCost();
        w.setValue("event_id", e.getEventId());
        w.setValue("occurred_at", utc(e.getOccurredAt()));
        w.setString("source", e.getSource());
        w.setString("request_id", orEmpty(e.getRequestId()));
        w.setString("customer_id", e.getCustomerId());
        w.setString("user_id", orEmpty(e.getUserId()));
        w.setString("feature", orEmpty(e.getFeature()));
        w.setString("team", orEmpty(e.getTeam()));
        w.setString("session_id", orEmpty(e.getSessionId()));
        w.setString("provider", e.getProvider());
        w.setString("model", e.getModel());
        w.setString("model_tier", orEmpty(e.getModelTier()));
        w.setString("requested_model", orEmpty(e.getRequestedModel()));
        w.setString("intent", orEmpty(e.getIntent()));
        w.setString("status", e.getStatus() == null ? "" : e.getStatus().name().toLowerCase(Locale.ROOT));
        w.setValue("latency_ms", e.getLatencyMs() == null ? null : e.getLatencyMs().intValue());
        w.setLong("input_tokens", e.getInputTokens());
        w.setLong("cached_input_tokens", e.getCachedInputTokens());
        w.setLong("cache_write_tokens", e.getCacheWriteTokens());
        w.setLong("output_tokens", e.getOutputTokens());
        w.setLong("reasoning_tokens", e.getReasoningTokens());
        w.setValue("labels", e.getLabels() == null ? Map.of() : e.getLabels());
        w.setLong("input_cost_nanos", c.getInputNanos());
        w.setLong("cached_input_cost_nanos", c.getCachedInputNanos());
        w.setLong("cache_write_cost_nanos", c.getCacheWriteNanos());
        w.setLong("output_cost_nanos", c.getOutputNanos());
        w.setLong("total_cost_nanos", c.getTotalNanos());
        w.setBoolean("unpriced", p.getUnpriced());
        w.setValue("price_effective_from", p.getPriceEffectiveFrom() == null ? null : utc(p.getPriceEffectiveFrom()));
        w.setValue("priced_at", utc(p.getPricedAt()));
    }

    static ZonedDateTime utc(Instant t) {
        return t.atZone(ZoneOffset.UTC);
    }

    static String orEmpty(CharSequence s) {
        return s == null ? "" : s.toString();
    }
}
