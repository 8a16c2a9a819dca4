package dev.tokenmin.clickhouse.sink;

import com.clickhouse.client.api.data_formats.RowBinaryFormatWriter;
import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.ThrottleDecision;
import dev.tokenmin.schemas.pricing.PriceKeys;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.time.Instant;
import java.util.Locale;

/**
 * Alerts, throttle decisions and prices as rows of {@code alerts}, {@code throttle_decisions} and {@code prices}. An
 * alert's detail is kept as JSON (Avro's own rendering of the record); a decision tombstone (a lifted restriction)
 * is a row with action {@code NONE}, timed by its record; a price tombstone (an entry the catalog dropped) a row
 * marked deleted.
 */
public final class AuditRows {

    private AuditRows() {
    }

    public static void alert(RowBinaryFormatWriter w, ConsumerRecord<String, Alert> record) {
        Alert a = record.value();
        w.setValue("alert_id", a.getAlertId());
        w.setString("kind", a.getKind().name());
        w.setString("severity", a.getSeverity().name());
        w.setString("scope", a.getScope());
        w.setValue("raised_at", UsageRows.utc(a.getRaisedAt()));
        w.setString("summary", a.getSummary());
        w.setString("detail", String.valueOf(a.getDetail()));
    }

    public static void price(RowBinaryFormatWriter w, ConsumerRecord<String, PriceEntry> record) {
        PriceKeys.Parsed key = PriceKeys.parse(record.key());
        PriceEntry p = record.value();
        w.setString("provider", key.provider());
        w.setString("model", key.model());
        w.setString("tier", p == null ? "" : p.getTier());
        w.setValue("effective_from", UsageRows.utc(key.effectiveFrom()));
        w.setLong("input_nanos_per_mtok", p == null ? 0 : p.getInputNanosPerMtok());
        w.setLong("cached_input_nanos_per_mtok", p == null ? 0 : p.getCachedInputNanosPerMtok());
        w.setLong("cache_write_nanos_per_mtok", p == null ? 0 : p.getCacheWriteNanosPerMtok());
        w.setLong("output_nanos_per_mtok", p == null ? 0 : p.getOutputNanosPerMtok());
        w.setValue("deleted", p == null ? (short) 1 : (short) 0);
        w.setValue("version", record.offset());
    }

    public static void decision(RowBinaryFormatWriter w, ConsumerRecord<String, ThrottleDecision> record) {
        ThrottleDecision d = record.value();
        w.setString("scope", record.key());
        w.setString("action", d == null ? "NONE" : d.getAction().name());
        w.setString("max_model_tier", d == null ? "" : UsageRows.orEmpty(d.getMaxModelTier()));
        w.setValue("max_input_tokens", d == null ? null : d.getMaxInputTokens());
        w.setString("reason", d == null ? "lifted" : d.getReason());
        w.setString("budget_id", d == null ? "" : UsageRows.orEmpty(d.getBudgetId()));
        w.setLong("spent", d == null ? 0 : d.getSpent());
        w.setLong("limit", d == null ? 0 : d.getLimit());
        w.setString("limit_unit", d == null ? "" : d.getLimitUnit().name().toLowerCase(Locale.ROOT));
        w.setValue("period_end", d == null || d.getPeriodEnd() == null ? null : UsageRows.utc(d.getPeriodEnd()));
        w.setValue("decided_at", UsageRows.utc(d == null ? Instant.ofEpochMilli(record.timestamp())
                : d.getDecidedAt()));
        w.setLong("topic_offset", record.offset());
        w.setInteger("topic_partition", record.partition());
    }
}
