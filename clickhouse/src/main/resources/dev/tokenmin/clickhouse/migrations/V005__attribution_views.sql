-- The attribution views the report command reads. On a single node they read the tables themselves; on a cluster
-- the placeholder after each table name makes them read its Distributed *_all table, so a report read on any node
-- covers every shard. Views over the rollups sum, because SummingMergeTree adds rows up only at merges.
CREATE VIEW IF NOT EXISTS spend_by_feature_daily ${ON_CLUSTER} AS
SELECT day, customer_id, feature, sum(requests) AS requests, sum(cost_nanos) AS cost_nanos,
       sum(input_tokens + cached_input_tokens + cache_write_tokens) AS prompt_tokens,
       sum(output_tokens) AS output_tokens
FROM spend_daily${ALL}
GROUP BY day, customer_id, feature;

CREATE VIEW IF NOT EXISTS spend_by_customer_monthly ${ON_CLUSTER} AS
SELECT toStartOfMonth(day) AS month, customer_id, sum(requests) AS requests, sum(cost_nanos) AS cost_nanos
FROM spend_daily${ALL}
GROUP BY month, customer_id;

CREATE VIEW IF NOT EXISTS spend_by_user_feature_daily ${ON_CLUSTER} AS
SELECT day, customer_id, feature, user_id, sum(requests) AS requests, sum(cost_nanos) AS cost_nanos
FROM spend_daily${ALL}
GROUP BY day, customer_id, feature, user_id;

CREATE VIEW IF NOT EXISTS model_mix_daily ${ON_CLUSTER} AS
SELECT day, customer_id, feature, provider, model, sum(requests) AS requests, sum(cost_nanos) AS cost_nanos
FROM spend_daily${ALL}
GROUP BY day, customer_id, feature, provider, model;

-- From the raw events (FINAL: each event once): what a successful call cost, and the prompt side of spend.
CREATE VIEW IF NOT EXISTS feature_efficiency_daily ${ON_CLUSTER} AS
SELECT toDate(occurred_at) AS day, customer_id, feature,
       count() AS requests, countIf(status IN ('', 'ok')) AS successful_requests,
       sum(total_cost_nanos) AS cost_nanos,
       sum(input_cost_nanos + cached_input_cost_nanos + cache_write_cost_nanos) AS prompt_cost_nanos,
       sum(output_cost_nanos) AS output_cost_nanos
FROM usage_events${ALL} FINAL
GROUP BY day, customer_id, feature;

-- Calls the router sent to another model than the one asked for: their cost at the asked-for model's price in
-- force at the time (ASOF on effective_from) against what they cost.
CREATE VIEW IF NOT EXISTS routing_savings_daily ${ON_CLUSTER} AS
SELECT toDate(u.occurred_at) AS day, u.customer_id AS customer_id, u.feature AS feature,
       count() AS routed_requests,
       sum(u.total_cost_nanos) AS actual_cost_nanos,
       -- each field rounded half-even to the nano-USD, as the stream app prices
       toInt64(sum(roundBankers(toDecimal128(u.input_tokens, 6) * p.input_nanos_per_mtok / 1000000, 0)
           + roundBankers(toDecimal128(u.cached_input_tokens, 6) * p.cached_input_nanos_per_mtok / 1000000, 0)
           + roundBankers(toDecimal128(u.cache_write_tokens, 6) * p.cache_write_nanos_per_mtok / 1000000, 0)
           + roundBankers(toDecimal128(u.output_tokens, 6) * p.output_nanos_per_mtok / 1000000, 0)))
           AS requested_cost_nanos
FROM (SELECT * FROM usage_events${ALL} FINAL WHERE requested_model != '' AND requested_model != model) AS u
ASOF INNER JOIN (SELECT * FROM prices${ALL} FINAL WHERE deleted = 0) AS p
    ON u.requested_model = p.model AND u.occurred_at >= p.effective_from
GROUP BY day, customer_id, feature;
