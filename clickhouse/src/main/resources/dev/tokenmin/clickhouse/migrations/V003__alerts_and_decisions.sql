-- Alerts (budget thresholds, anomalies, unpriced models) and throttle decisions: the audit trail.
CREATE TABLE IF NOT EXISTS alerts ${ON_CLUSTER}
(
    alert_id    UUID,
    kind        LowCardinality(String),
    severity    LowCardinality(String),
    scope       String,
    raised_at   DateTime64(3, 'UTC'),
    summary     String,
    detail      String COMMENT 'the alert detail as JSON'
)
ENGINE = ${REPLICATED}ReplacingMergeTree
PARTITION BY toYYYYMM(raised_at)
ORDER BY (scope, raised_at, alert_id)
TTL toDateTime(raised_at) + INTERVAL ${TTL_DAYS} DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS throttle_decisions ${ON_CLUSTER}
(
    scope             String,
    action            LowCardinality(String) COMMENT 'NONE for a lifted restriction (a tombstone)',
    max_model_tier    LowCardinality(String) DEFAULT '',
    max_input_tokens  Nullable(Int64),
    reason            String,
    budget_id         String DEFAULT '',
    spent             Int64,
    `limit`           Int64,
    limit_unit        LowCardinality(String),
    period_end        Nullable(DateTime64(3, 'UTC')),
    decided_at        DateTime64(3, 'UTC'),
    topic_offset      Int64 COMMENT 'partition and offset on the throttle topic: one row per record',
    topic_partition   Int32
)
ENGINE = ${REPLICATED}ReplacingMergeTree
PARTITION BY toYYYYMM(decided_at)
ORDER BY (scope, decided_at, topic_partition, topic_offset)
TTL toDateTime(decided_at) + INTERVAL ${TTL_DAYS} DAY
SETTINGS non_replicated_deduplication_window = 10000;
