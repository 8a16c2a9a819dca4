package dev.tokenmin.localstack.clickhouse;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one request to ClickHouse's HTTP interface asks for, read from its URL parameters, headers and (already
 * decompressed) body: the statement, data to insert, the output format, settings, query parameters and the
 * database. Parsing only; nothing runs here.
 *
 * <p>Data sent for an {@code INSERT ... FORMAT X} is kept apart from the statement ({@link #insertData()}) because
 * the engine cuts data inlined after {@code FORMAT X} at the first blank line, which binary formats contain.
 */
record HttpQuery(String statement, byte[] insertData, String insertFormat, String outputFormat,
                 Map<String, String> settings, Map<String, String> parameters, String database, String queryId,
                 boolean compressResponse) {

    /** URL parameters of the HTTP interface that are not engine settings. */
    private static final Set<String> HTTP_PARAMETERS = Set.of("query", "database", "default_format", "query_id",
            "session_id", "session_check", "session_timeout", "compress", "decompress", "enable_http_compression",
            "user", "password", "quota_key", "role", "buffer_size", "wait_end_of_query", "http_headers_progress_interval_ms",
            "send_progress_in_http_headers", "http_response_buffer_size", "client_protocol_version", "readonly");

    private static final Pattern INSERT_WITH_FORMAT = Pattern.compile(
            "(?is)^\\s*(INSERT\\s+INTO\\s+.*?)\\s+FORMAT\\s+([A-Za-z0-9_]+)\\s*;?\\s*$");
    private static final Pattern INSERT_WITH_FORMAT_THEN_DATA = Pattern.compile(
            "(?is)^\\s*(INSERT\\s+INTO\\s+[^\\n]*?)\\s+FORMAT\\s+([A-Za-z0-9_]+)[ \\t]*\\r?\\n");
    private static final Pattern TRAILING_FORMAT = Pattern.compile("(?is)\\bFORMAT\\s+([A-Za-z0-9_]+)\\s*;?\\s*$");
    private static final Pattern LEADING_INSERT = Pattern.compile(
            "(?is)^\\s*(/\\*.*?\\*/\\s*|--[^\\n]*\\n\\s*)*INSERT\\b");
    private static final Pattern SETTINGS_CLAUSE = Pattern.compile("(?is)^(.*?)(\\s+SETTINGS\\s+.*)?$");
    /** How much of a body is scanned for the {@code INSERT ... FORMAT X} line that precedes its data. */
    private static final int HEAD_SCAN_BYTES = 64 * 1024;

    /**
     * Reads a request.
     *
     * @param rawQuery the URL's raw (still encoded) query string, or null
     * @param header   request header by name (case-insensitive), null when absent
     * @param body     the request body, already decompressed
     */
    static HttpQuery parse(String rawQuery, Function<String, String> header, byte[] body) {
        Map<String, String> url = decodeParameters(rawQuery);
        Map<String, String> settings = new LinkedHashMap<>();
        Map<String, String> parameters = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : url.entrySet()) {
            if (e.getKey().startsWith("param_")) {
                parameters.put(e.getKey().substring("param_".length()), e.getValue());
            } else if (!HTTP_PARAMETERS.contains(e.getKey())) {
                settings.put(e.getKey(), e.getValue());
            }
        }
        String queryParameter = url.get("query");
        String statement;
        byte[] insertData = null;
        String insertFormat = null;
        if (queryParameter != null && body.length > 0) {
            Matcher insert = INSERT_WITH_FORMAT.matcher(queryParameter);
            if (insert.matches() && !"Values".equalsIgnoreCase(insert.group(2))) {
                statement = insert.group(1);
                insertFormat = insert.group(2);
                insertData = body;
            } else {
                statement = queryParameter + "\n" + new String(body, StandardCharsets.UTF_8);
            }
        } else if (queryParameter != null) {
            statement = queryParameter;
        } else {
            String head = new String(body, 0, Math.min(body.length, HEAD_SCAN_BYTES), StandardCharsets.ISO_8859_1);
            Matcher insert = INSERT_WITH_FORMAT_THEN_DATA.matcher(head);
            if (insert.find() && !"Values".equalsIgnoreCase(insert.group(2))) {
                statement = insert.group(1);
                insertFormat = insert.group(2);
                insertData = Arrays.copyOfRange(body, insert.end(), body.length);
            } else {
                statement = new String(body, StandardCharsets.UTF_8);
            }
        }

        String outputFormat = firstNonBlank(url.get("default_format"), header.apply("X-ClickHouse-Format"),
                "TabSeparated");
        if (insertFormat == null && !LEADING_INSERT.matcher(statement).find()) {
            Matcher trailing = TRAILING_FORMAT.matcher(statement);
            if (trailing.find()) {
                outputFormat = trailing.group(1);
            }
        }
        String database = firstNonBlank(url.get("database"), header.apply("X-ClickHouse-Database"), "default");
        String queryId = firstNonBlank(url.get("query_id"), header.apply("X-ClickHouse-Query-Id"),
                java.util.UUID.randomUUID().toString());
        return new HttpQuery(statement, insertData, insertFormat, outputFormat, settings, parameters, database,
                queryId, "1".equals(url.get("compress")));
    }

    /** True when the body was compressed with ClickHouse's native framing ({@code decompress=1}). */
    static boolean bodyIsCompressed(String rawQuery) {
        return "1".equals(decodeParameters(rawQuery).get("decompress"));
    }

    /**
     * The statement to run when the data comes from {@code file}: {@code INSERT ... FROM INFILE 'file' [SETTINGS
     * ...] FORMAT X} (the engine wants FROM INFILE before SETTINGS).
     */
    String insertFromFile(String file) {
        Matcher m = SETTINGS_CLAUSE.matcher(statement);
        if (!m.matches()) {
            throw new IllegalStateException("unreachable: the pattern matches every string");
        }
        String settingsClause = m.group(2) == null ? "" : m.group(2);
        return m.group(1) + " FROM INFILE " + SessionPool.quoteString(file) + settingsClause + " FORMAT " + insertFormat;
    }

    boolean isInsertWithData() {
        return insertData != null;
    }

    private static Map<String, String> decodeParameters(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.putIfAbsent(key, value);
        }
        return out;
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }
}
