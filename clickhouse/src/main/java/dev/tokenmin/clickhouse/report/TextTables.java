package dev.tokenmin.clickhouse.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.util.List;

/** A report's rows as an aligned table (numbers to the right), CSV (RFC 4180 quoting) or JSON (money as numbers). */
public final class TextTables {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TextTables() {
    }

    public static String aligned(List<String> header, List<Report.Column> columns, List<List<String>> rows) {
        int[] width = new int[header.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = header.get(i).length();
            for (List<String> row : rows) {
                width[i] = Math.max(width[i], row.get(i).length());
            }
        }
        StringBuilder s = new StringBuilder();
        line(s, header, columns, width);
        for (int i = 0; i < width.length; i++) {
            s.append(i == 0 ? "" : "  ").append("-".repeat(width[i]));
        }
        s.append('\n');
        rows.forEach(row -> line(s, row, columns, width));
        s.append(rows.size()).append(rows.size() == 1 ? " row\n" : " rows\n");
        return s.toString();
    }

    private static void line(StringBuilder s, List<String> cells, List<Report.Column> columns, int[] width) {
        for (int i = 0; i < cells.size(); i++) {
            String cell = cells.get(i);
            boolean right = columns.get(i).kind() != Report.Column.Kind.TEXT;
            String pad = " ".repeat(width[i] - cell.length());
            s.append(i == 0 ? "" : "  ").append(right ? pad + cell : cell + (i == cells.size() - 1 ? "" : pad));
        }
        s.append('\n');
    }

    static String csv(List<String> header, List<List<String>> rows) {
        StringBuilder s = new StringBuilder();
        csvLine(s, header);
        rows.forEach(row -> csvLine(s, row));
        return s.toString();
    }

    private static void csvLine(StringBuilder s, List<String> cells) {
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            boolean quote = c.contains(",") || c.contains("\"") || c.contains("\n");
            s.append(i == 0 ? "" : ",").append(quote ? "\"" + c.replace("\"", "\"\"") + "\"" : c);
        }
        s.append("\r\n");
    }

    static String json(List<String> header, List<Report.Column> columns, List<List<String>> rows) {
        ArrayNode array = JSON.createArrayNode();
        for (List<String> row : rows) {
            ObjectNode o = array.addObject();
            for (int i = 0; i < header.size(); i++) {
                switch (columns.get(i).kind()) {
                    case USD -> o.put(header.get(i) + "_usd", new BigDecimal(row.get(i)));
                    case COUNT -> o.put(header.get(i), Long.parseLong(row.get(i)));
                    case TEXT -> o.put(header.get(i), row.get(i));
                }
            }
        }
        return array.toPrettyString() + "\n";
    }
}
