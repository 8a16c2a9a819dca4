package dev.tokenmin.clickhouse.sink;

import com.clickhouse.data.ClickHouseFormat;
import dev.tokenmin.avro.CostBreakdown;
import dev.tokenmin.avro.PricedUsage;
import dev.tokenmin.avro.UsageEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;

/**
 * Priced events as {@code usage_events} rows, a batch as one {@link NativeBlock} (absent strings are '', as the table
 * documents). The columns are the table's, in its order, every one but the {@code ALIAS}.
 */
public final class UsageRows implements BatchEncoder<PricedUsage> {

    private static final String DATETIME64 = "DateTime64(3, 'UTC')";

    @Override
    public ClickHouseFormat format() {
        return ClickHouseFormat.Native;
    }

    @Override
    public Block<PricedUsage> newBlock() {
        return new UsageBlock();
    }

    /** The table's columns, filled a record at a time. */
    private static final class UsageBlock implements Block<PricedUsage> {
        private final NativeBlock block = new NativeBlock();
        private final NativeBlock.UuidColumn eventId = block.uuids("event_id");
        private final NativeBlock.LongColumn occurredAt = block.longs("occurred_at", DATETIME64);
        private final NativeBlock.StringColumn source = block.strings("source");
        private final NativeBlock.StringColumn requestId = block.strings("request_id");
        private final NativeBlock.StringColumn customerId = block.strings("customer_id");
        private final NativeBlock.StringColumn userId = block.strings("user_id");
        private final NativeBlock.StringColumn feature = block.strings("feature");
        private final NativeBlock.StringColumn team = block.strings("team");
        private final NativeBlock.StringColumn sessionId = block.strings("session_id");
        private final NativeBlock.StringColumn provider = block.strings("provider");
        private final NativeBlock.StringColumn model = block.strings("model");
        private final NativeBlock.StringColumn modelTier = block.strings("model_tier");
        private final NativeBlock.StringColumn requestedModel = block.strings("requested_model");
        private final NativeBlock.StringColumn intent = block.strings("intent");
        private final NativeBlock.StringColumn status = block.strings("status");
        private final NativeBlock.NullableIntColumn latencyMs = block.nullableUInt32("latency_ms");
        private final NativeBlock.LongColumn inputTokens = block.longs("input_tokens", "UInt64");
        private final NativeBlock.LongColumn cachedInputTokens = block.longs("cached_input_tokens", "UInt64");
        private final NativeBlock.LongColumn cacheWriteTokens = block.longs("cache_write_tokens", "UInt64");
        private final NativeBlock.LongColumn outputTokens = block.longs("output_tokens", "UInt64");
        private final NativeBlock.LongColumn reasoningTokens = block.longs("reasoning_tokens", "UInt64");
        private final NativeBlock.StringMapColumn labels = block.stringMaps("labels");
        private final NativeBlock.LongColumn inputCost = block.longs("input_cost_nanos", "Int64");
        private final NativeBlock.LongColumn cachedInputCost = block.longs("cached_input_cost_nanos", "Int64");
        private final NativeBlock.LongColumn cacheWriteCost = block.longs("cache_write_cost_nanos", "Int64");
        private final NativeBlock.LongColumn outputCost = block.longs("output_cost_nanos", "Int64");
        private final NativeBlock.LongColumn totalCost = block.longs("total_cost_nanos", "Int64");
        private final NativeBlock.BoolColumn unpriced = block.bools("unpriced");
        private final NativeBlock.NullableLongColumn priceEffectiveFrom =
                block.nullableDateTime64Millis("price_effective_from");
        private final NativeBlock.LongColumn pricedAt = block.longs("priced_at", DATETIME64);

        @Override
        public void add(ConsumerRecord<String, PricedUsage> record) {
            PricedUsage p = record.value();
            UsageEvent e = p.getEvent();
            CostBreakdown c = p.getCost();
            eventId.add(e.getEventId());
            occurredAt.add(e.getOccurredAt().toEpochMilli());
            source.add(e.getSource());
            requestId.add(orEmpty(e.getRequestId()));
            customerId.add(e.getCustomerId());
            userId.add(orEmpty(e.getUserId()));
            feature.add(orEmpty(e.getFeature()));
            team.add(orEmpty(e.getTeam()));
            sessionId.add(orEmpty(e.getSessionId()));
            provider.add(e.getProvider());
            model.add(e.getModel());
            modelTier.add(orEmpty(e.getModelTier()));
            requestedModel.add(orEmpty(e.getRequestedModel()));
            intent.add(orEmpty(e.getIntent()));
            status.add(e.getStatus() == null ? "" : e.getStatus().name().toLowerCase(Locale.ROOT));
            latencyMs.add(e.getLatencyMs());
            inputTokens.add(e.getInputTokens());
            cachedInputTokens.add(e.getCachedInputTokens());
            cacheWriteTokens.add(e.getCacheWriteTokens());
            outputTokens.add(e.getOutputTokens());
            reasoningTokens.add(e.getReasoningTokens());
            labels.add(e.getLabels() == null ? Map.of() : e.getLabels());
            inputCost.add(c.getInputNanos());
            cachedInputCost.add(c.getCachedInputNanos());
            cacheWriteCost.add(c.getCacheWriteNanos());
            outputCost.add(c.getOutputNanos());
            totalCost.add(c.getTotalNanos());
            unpriced.add(p.getUnpriced());
            priceEffectiveFrom.add(p.getPriceEffectiveFrom() == null ? null : p.getPriceEffectiveFrom().toEpochMilli());
            pricedAt.add(p.getPricedAt().toEpochMilli());
        }

        @Override
        public byte[] toBytes() {
            return block.toBytes();
        }
    }

    static ZonedDateTime utc(Instant t) {
        return t.atZone(ZoneOffset.UTC);
    }

    static String orEmpty(CharSequence s) {
        return s == null ? "" : s.toString();
    }
}
