package dev.tokenmin.clickhouse.report;

import java.util.List;
import java.util.Locale;

/**
 * The attribution reports: each a query over the attribution views (server-side parameters {@code since},
 * {@code customer} ('' for all) and {@code limit}) and how to show its columns. Money columns come back as
 * nano-USD and are shown in USD, exactly.
 */
public enum Report {

    FEATURE("spend by feature per day", """
            SELECT day, feature, sum(requests) AS requests, sum(cost_nanos) AS cost
            FROM spend_by_feature_daily
            WHERE day >= toDate({since:DateTime64(3)}) AND ({customer:String} = '' OR customer_id = {customer:String})
            GROUP BY day, feature ORDER BY day, cost DESC""", List.of(Column.text("day"), Column.text("feature"),
            Column.count("requests"), Column.usd("cost"))),
    CUSTOMER("spend by customer per month", """
            SELECT month, customer_id AS customer, sum(requests) AS requests, sum(cost_nanos) AS cost
            FROM spend_by_customer_monthly
            WHERE month >= toStartOfMonth(toDate({since:DateTime64(3)}))
              AND ({customer:String} = '' OR customer_id = {customer:String})
            GROUP BY month, customer ORDER BY month, cost DESC""", List.of(Column.text("month"),
            Column.text("customer"), Column.count("requests"), Column.usd("cost"))),
    USERS("top users per feature", """
            SELECT feature, user_id AS user, sum(requests) AS requests, sum(cost_nanos) AS cost
            FROM spend_by_user_feature_daily
            WHERE day >= toDate({since:DateTime64(3)}) AND ({customer:String} = '' OR customer_id = {customer:String})
            GROUP BY feature, user ORDER BY feature, cost DESC LIMIT {limit:UInt32} BY feature""",
            List.of(Column.text("feature"), Column.text("user"), Column.count("requests"), Column.usd("cost"))),
    MODEL_MIX("model mix per feature", """
            SELECT feature, concat(provider, '/', model) AS model, sum(requests) AS requests, sum(cost_nanos) AS cost,
                   round(100 * cost / sum(cost) OVER (PARTITION BY feature), 1) AS share_pct
            FROM model_mix_daily
            WHERE day >= toDate({since:DateTime64(3)}) AND ({customer:String} = '' OR customer_id = {customer:String})
            GROUP BY feature, model ORDER BY feature, cost DESC""", List.of(Column.text("feature"),
            Column.text("model"), Column.count("requests"), Column.usd("cost"), Column.text("share_pct"))),
    SUCCESS("cost per successful request", """
            SELECT feature, sum(requests) AS requests, sum(successful_requests) AS successful,
                   sum(cost_nanos) AS cost, intDiv(cost, greatest(successful, 1)) AS cost_per_success
            FROM feature_efficiency_daily
            WHERE day >= toDate({since:DateTime64(3)}) AND ({customer:String} = '' OR customer_id = {customer:String})
            GROUP BY feature ORDER BY cost DESC""", List.of(Column.text("feature"), Column.count("requests"),
            Column.count("successful"), Column.usd("cost"), Column.usd("cost_per_success"))),
    CONTEXT("input versus output share of spend", """
            SELECT feature, sum(prompt_cost_nanos) AS input_cost, sum(output_cost_nanos) AS output_cost,
                   round(100 * input_cost / greatest(input_cost + output_cost, 1), 1) AS input_pct
            FROM feature_efficiency_daily
            WHERE day >= toDate({since:DateTime64(3)}) AND ({customer:String} = '' OR customer_id = {customer:String})
            GROUP BY feature ORDER BY input_cost + output_cost DESC""", List.of(Column.text("feature"),
            Column.usd("input_cost"), Column.usd("output_cost"), Column.text("input_pct"))),
    SAVINGS("what routing saved: routed calls at the requested model's price versus their cost", """
            SELECT feature, sum(routed_requests) AS routed, sum(requested_cost_nanos) AS at_requested_price,
                   sum(actual_cost_nanos) AS actual, at_requested_price - actual AS saved
            FROM routing_savings_daily
            WHERE day >= toDate({since:DateTime64(3)}) AND ({customer:String} = '' OR customer_id = {customer:String})
            GROUP BY feature ORDER BY saved DESC""", List.of(Column.text("feature"), Column.count("routed"),
            Column.usd("at_requested_price"), Column.usd("actual"), Column.usd("saved")));

    private final String title;
    private final String sql;
    private final List<Column> columns;

    Report(String title, String sql, List<Column> columns) {
        this.title = title;
        this.sql = sql;
        this.columns = columns;
    }

    public String title() {
        return title;
    }

    public String sql() {
        return sql;
    }

    public List<Column> columns() {
        return columns;
    }

    /** The name used on the command line: {@code feature}, {@code model-mix}, ... */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** A result column: its name and whether it holds text, a count, or nano-USD to show as USD. */
    public record Column(String name, Kind kind) {

        public enum Kind { TEXT, COUNT, USD }

        static Column text(String name) {
            return new Column(name, Kind.TEXT);
        }

        static Column count(String name) {
            return new Column(name, Kind.COUNT);
        }

        static Column usd(String name) {
            return new Column(name, Kind.USD);
        }
    }
}
