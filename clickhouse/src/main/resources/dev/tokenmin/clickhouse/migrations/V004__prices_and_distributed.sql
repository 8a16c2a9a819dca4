-- Prices as the catalog published them (from the prices topic), for what routing saved; and, on a cluster only,
-- a Distributed table over each table the sink writes and the reports read, sharded by customer so one customer's
-- rows (and its ReplacingMergeTree duplicates) stay on one shard. On a single node the cluster-only statements are
-- skipped.
CREATE TABLE IF NOT EXISTS prices ${ON_CLUSTER}
(
    provider                   LowCardinality(String),
    model                      LowCardinality(String),
    tier                       LowCardinality(String),
    effective_from             DateTime64(3, 'UTC'),
    input_nanos_per_mtok       Int64,
    cached_input_nanos_per_mtok Int64,
    cache_write_nanos_per_mtok Int64,
    output_nanos_per_mtok      Int64,
    deleted                    UInt8 COMMENT '1: the catalog dropped this entry (a tombstone)',
    version                    UInt64 COMMENT 'the topic offset: the latest record of an entry wins'
)
ENGINE = ${REPLICATED}ReplacingMergeTree(version)
ORDER BY (model, provider, effective_from)
SETTINGS non_replicated_deduplication_window = 10000;

${CLUSTER_ONLY}CREATE TABLE IF NOT EXISTS usage_events_all ${ON_CLUSTER} AS usage_events
ENGINE = Distributed(`${CLUSTER}`, `${DATABASE}`, usage_events, cityHash64(customer_id));

${CLUSTER_ONLY}CREATE TABLE IF NOT EXISTS spend_daily_all ${ON_CLUSTER} AS spend_daily
ENGINE = Distributed(`${CLUSTER}`, `${DATABASE}`, spend_daily, cityHash64(customer_id));

${CLUSTER_ONLY}CREATE TABLE IF NOT EXISTS spend_hourly_all ${ON_CLUSTER} AS spend_hourly
ENGINE = Distributed(`${CLUSTER}`, `${DATABASE}`, spend_hourly, cityHash64(customer_id));

${CLUSTER_ONLY}CREATE TABLE IF NOT EXISTS alerts_all ${ON_CLUSTER} AS alerts
ENGINE = Distributed(`${CLUSTER}`, `${DATABASE}`, alerts, cityHash64(scope));

${CLUSTER_ONLY}CREATE TABLE IF NOT EXISTS throttle_decisions_all ${ON_CLUSTER} AS throttle_decisions
ENGINE = Distributed(`${CLUSTER}`, `${DATABASE}`, throttle_decisions, cityHash64(scope));

${CLUSTER_ONLY}CREATE TABLE IF NOT EXISTS prices_all ${ON_CLUSTER} AS prices
ENGINE = Distributed(`${CLUSTER}`, `${DATABASE}`, prices, cityHash64(model));
