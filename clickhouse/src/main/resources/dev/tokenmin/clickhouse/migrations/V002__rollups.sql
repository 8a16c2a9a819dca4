-- Hourly and daily spend by customer, feature, user, team and model, kept up to date by materialized views as
-- the sink inserts usage_events. SummingMergeTree adds rows with the same key at merge time; read with sum().
CREATE TABLE IF NOT EXISTS spend_hourly ${ON_CLUSTER}
(
    hour                 DateTime('UTC'),
    customer_id          String,
    feature              LowCardinality(String),
    user_id              String,
    team                 LowCardinality(String),
    provider             LowCardinality(String),
    model                LowCardinality(String),
    requests             UInt64,
    unpriced_requests    UInt64,
    input_tokens         UInt64,
    cached_input_tokens  UInt64,
    cache_write_tokens   UInt64,
    output_tokens        UInt64,
    reasoning_tokens     UInt64,
    cost_nanos           Int64
)
ENGINE = ${REPLICATED}SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (customer_id, feature, hour, user_id, team, provider, model)
TTL hour + INTERVAL ${TTL_DAYS} DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS spend_hourly_mv ${ON_CLUSTER} TO spend_hourly AS
SELECT
    toStartOfHour(occurred_at) AS hour, customer_id, feature, user_id, team, provider, model,
    count() AS requests, countIf(unpriced) AS unpriced_requests,
    sum(input_tokens) AS input_tokens, sum(cached_input_tokens) AS cached_input_tokens,
    sum(cache_write_tokens) AS cache_write_tokens, sum(output_tokens) AS output_tokens,
    sum(reasoning_tokens) AS reasoning_tokens, sum(total_cost_nanos) AS cost_nanos
FROM usage_events
GROUP BY hour, customer_id, feature, user_id, team, provider, model;

CREATE TABLE IF NOT EXISTS spend_daily ${ON_CLUSTER}
(
    day                  Date,
    customer_id          String,
    feature              LowCardinality(String),
    user_id              String,
    team                 LowCardinality(String),
    provider             LowCardinality(String),
    model                LowCardinality(String),
    requests             UInt64,
    unpriced_requests    UInt64,
    input_tokens         UInt64,
    cached_input_tokens  UInt64,
    cache_write_tokens   UInt64,
    output_tokens        UInt64,
    reasoning_tokens     UInt64,
    cost_nanos           Int64
)
ENGINE = ${REPLICATED}SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (customer_id, feature, day, user_id, team, provider, model)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS spend_daily_mv ${ON_CLUSTER} TO spend_daily AS
SELECT
    toDate(occurred_at) AS day, customer_id, feature, user_id, team, provider, model,
    count() AS requests, countIf(unpriced) AS unpriced_requests,
    sum(input_tokens) AS input_tokens, sum(cached_input_tokens) AS cached_input_tokens,
    sum(cache_write_tokens) AS cache_write_tokens, sum(output_tokens) AS output_tokens,
    sum(reasoning_tokens) AS reasoning_tokens, sum(total_cost_nanos) AS cost_nanos
FROM usage_events
GROUP BY day, customer_id, feature, user_id, team, provider, model;
