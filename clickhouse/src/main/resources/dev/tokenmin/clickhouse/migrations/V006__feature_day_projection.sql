-- Spend by feature per day (and by customer per month) without reading every user's rows: the daily rollup's key
-- goes down to user, team and model, so over many users it holds nearly a row per call and these reports scanned
-- millions of rows. An aggregate projection per customer, feature and day is kept by ClickHouse inside each part of
-- the rollup (built at insert in the same part, so it can neither miss nor double a row, and rebuilt when parts are
-- merged and summed); the views' queries use it on their own. MATERIALIZE builds it for the parts already there.
ALTER TABLE spend_daily ${ON_CLUSTER} MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE spend_daily ${ON_CLUSTER} ADD PROJECTION IF NOT EXISTS by_customer_feature_day
(
    SELECT customer_id, feature, day, sum(requests), sum(cost_nanos),
           sum(input_tokens + cached_input_tokens + cache_write_tokens), sum(output_tokens)
    GROUP BY customer_id, feature, day
);
ALTER TABLE spend_daily ${ON_CLUSTER} MATERIALIZE PROJECTION by_customer_feature_day;
