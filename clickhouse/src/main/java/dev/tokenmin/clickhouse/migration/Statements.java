package dev.tokenmin.clickhouse.migration;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a migration's text into the statements to run: {@code ${NAME}} placeholders filled in (an unknown one is an
 * error), {@code --} comment lines dropped, statements split at a {@code ;} that ends a line (ClickHouse's HTTP
 * interface runs one statement per request). A statement that starts with {@code ${CLUSTER_ONLY}} runs only on a
 * cluster (the Distributed tables).
 */
final class Statements {

    private static final String CLUSTER_ONLY = "/*cluster-only*/";

    private Statements() {
    }

    static List<String> of(String sql, Map<String, String> values, boolean onCluster) {
        Map<String, String> withMarker = new HashMap<>(values);
        withMarker.put("CLUSTER_ONLY", CLUSTER_ONLY);
        List<String> out = new ArrayList<>();
        for (String statement : of(sql, withMarker)) {
            if (!statement.startsWith(CLUSTER_ONLY)) {
                out.add(statement);
            } else if (onCluster) {
                out.add(statement.substring(CLUSTER_ONLY.length()).strip());
            }
        }
        return out;
    }

    static List<String> of(String sql, Map<String, String> values) {
        String text = sql;
        for (Map.Entry<String, String> v : values.entrySet()) {
            text = text.replace("${" + v.getKey() + "}", v.getValue());
        }
        int unknown = text.indexOf("${");
        if (unknown >= 0) {
            throw new IllegalArgumentException("unknown placeholder " + text.substring(unknown,
                    Math.min(text.length(), text.indexOf('}', unknown) + 1)) + "; known: " + values.keySet());
        }
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("--") || trimmed.isEmpty()) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                String statement = current.toString().strip();
                statements.add(statement.substring(0, statement.length() - 1).strip());
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            statements.add(current.toString().strip());
        }
        return statements;
    }
}
