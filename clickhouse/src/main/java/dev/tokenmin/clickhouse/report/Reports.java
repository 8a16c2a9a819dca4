package dev.tokenmin.clickhouse.report;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.query.GenericRecord;
import com.clickhouse.client.api.query.QuerySettings;
import dev.tokenmin.schemas.NanoUsd;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs a {@link Report} and returns its rows as display strings, money in exact USD. */
public final class Reports {

    private static final DateTimeFormatter PARAM = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneOffset.UTC);

    private final Client client;
    private final String database;

    public Reports(Client client, String database) {
        this.client = client;
        this.database = database;
    }

    /**
     * @param customer one customer, or null for all
     * @param limit    rows per group where the report ranks (top users)
     */
    public List<List<String>> run(Report report, Instant since, String customer, int limit) {
        Map<String, Object> params = Map.of("since", PARAM.format(since), "customer", customer == null ? "" : customer,
                "limit", limit);
        List<List<String>> rows = new ArrayList<>();
        for (GenericRecord r : client.queryAll(report.sql(), params, new QuerySettings().setDatabase(database))) {
            List<String> row = new ArrayList<>();
            for (Report.Column c : report.columns()) {
                row.add(switch (c.kind()) {
                    case USD -> NanoUsd.format(r.getLong(c.name()));
                    case COUNT -> Long.toString(r.getLong(c.name()));
                    case TEXT -> r.getString(c.name());
                });
            }
            rows.add(row);
        }
        return rows;
    }
}
