-- Every priced usage event: the ledger finance and engineering query.
-- Money is integer nano-USD (exact); *_usd columns are exact Decimal views of them.
-- Strings that may be absent are '' when absent (they are sort-key columns or LowCardinality).
CREATE TABLE IF NOT EXISTS usage_events ${ON_CLUSTER}
(
    event_id              UUID,
    occurred_at           DateTime64(3, 'UTC'),
    source                LowCardinality(String),
    request_id            String DEFAULT '',
    customer_id           String,
    user_id               String DEFAULT '',
    feature               LowCardinality(String) DEFAULT '',
    team                  LowCardinality(String) DEFAULT '',
    session_id            String DEFAULT '',
    provider              LowCardinality(String),
    model                 LowCardinality(String),
    model_tier            LowCardinality(String) DEFAULT '',
    requested_model       LowCardinality(String) DEFAULT '',
    intent                LowCardinality(String) DEFAULT '',
    status                LowCardinality(String) DEFAULT '',
    latency_ms            Nullable(UInt32),
    input_tokens          UInt64,
    cached_input_tokens   UInt64,
    cache_write_tokens    UInt64,
    output_tokens         UInt64,
    reasoning_tokens      UInt64,
    labels                Map(String, String),
    input_cost_nanos        Int64,
    cached_input_cost_nanos Int64,
    cache_write_cost_nanos  Int64,
    output_cost_nanos       Int64,
    total_cost_nanos        Int64,
    unpriced              Bool,
    price_effective_from  Nullable(DateTime64(3, 'UTC')),
    priced_at             DateTime64(3, 'UTC'),
    total_cost_usd        Decimal(38, 9) ALIAS CAST(total_cost_nanos AS Decimal(38, 9)) / 1000000000
)
-- ReplacingMergeTree on the sort key, whose last column is event_id: an event written twice is one row after
-- merges (and with FINAL); the sink's deduplication tokens already drop replayed batches.
ENGINE = ${REPLICATED}ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
-- Customer first: almost every attribution query filters on one customer (a tenant), then groups by feature
-- over a time range; this order lets ClickHouse skip other customers' granules and read one feature's rows
-- together. event_id last makes the key unique per event, which ReplacingMergeTree needs to drop duplicates.
ORDER BY (customer_id, feature, toStartOfHour(occurred_at), event_id)
TTL toDateTime(occurred_at) + INTERVAL ${TTL_DAYS} DAY
SETTINGS non_replicated_deduplication_window = 10000;
