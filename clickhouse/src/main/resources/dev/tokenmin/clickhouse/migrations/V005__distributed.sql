-- On a cluster only: a Distributed table over each table the sink writes and the reports read, sharded by
-- customer so one customer's rows (and its ReplacingMergeTree duplicates) stay on one shard. On a single node
-- these statements are skipped and the migration only records its version.
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
