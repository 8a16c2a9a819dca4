package dev.tokenmin.localstack.clickhouse;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * ClickHouse's HTTP interface over the embedded engine, complete enough that the official clickhouse-jdbc and
 * client-v2 work unchanged: queries in the URL or the body, inserts in any input format (binary ones included),
 * server-side query parameters, per-request settings and database, native LZ4 compression both ways, the response
 * headers the clients read (format, summary with written rows, query id, time zone) and errors carrying
 * ClickHouse's code and message.
 *
 * <p>It serves the local stack only, on 127.0.0.1, so it uses the JDK's built-in HTTP server (no extra
 * dependency) with a bounded pool of threads; concurrency is bounded by the engine {@link SessionPool}. Results are
 * buffered in memory before they are sent, not streamed. Users and passwords are accepted and not checked.
 */
public final class ClickHouseHttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseHttpServer.class);
    private static final Pattern ERROR_CODE = Pattern.compile("Code: (\\d+)\\.");
    private static final Duration CONNECTION_WAIT = Duration.ofSeconds(60);

    private final SessionPool sessions;
    private final HttpServer server;
    private final ExecutorService threads;
    private final Path spoolDir;
    private final String version;
    private final String timezone;

    /**
     * Opens {@code connections} engine connections on {@code dataDir} and starts serving on
     * {@code 127.0.0.1:port} ({@code 0} picks a free port).
     */
    public ClickHouseHttpServer(Path library, Path dataDir, int port, int connections) throws IOException {
        Files.createDirectories(dataDir);
        this.spoolDir = Files.createDirectories(dataDir.resolve("http-spool"));
        this.sessions = new SessionPool(library, dataDir, connections);
        String[] versionAndZone;
        try {
            ChdbConnection.Result r = sessions.run("default", Map.of(),
                    "SELECT version(), timezone()".getBytes(StandardCharsets.UTF_8), "TabSeparated", Map.of(),
                    CONNECTION_WAIT);
            if (r.failed()) {
                throw new IOException("the engine does not answer: " + r.error());
            }
            versionAndZone = new String(r.data(), StandardCharsets.UTF_8).trim().split("\t");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting", e);
        }
        this.version = versionAndZone[0];
        this.timezone = versionAndZone[1];
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
        this.threads = Executors.newFixedThreadPool(Math.max(8, connections * 2),
                Thread.ofPlatform().daemon().name("clickhouse-http-", 0).factory());
        server.createContext("/", this::handle);
        server.setExecutor(threads);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The engine's version, as {@code SELECT version()} reports it. */
    public String version() {
        return version;
    }

    /**
     * Answers one request. Errors are answered inside the exchange's try block: a try-with-resources closes its
     * resource before its catch clauses run, so an answer written there would go to a closed exchange (the client
     * would see the connection dropped with no reply).
     */
    private void handle(HttpExchange exchange) {
        try (exchange) {
            try {
                serve(exchange);
            } catch (BadRequest e) {
                trySendError(exchange, 400, e.code, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                trySendError(exchange, 503, 394,
                        "Code: 394. DB::Exception: the server is shutting down. (QUERY_WAS_CANCELLED)");
            } catch (IOException | RuntimeException e) {
                LOG.warn("request failed: {}", e.toString());
                trySendError(exchange, 500, 1001, "Code: 1001. DB::Exception: " + e + ". (STD_EXCEPTION)");
            }
        }
    }

    private void serve(HttpExchange exchange) throws IOException, InterruptedException {
        String path = exchange.getRequestURI().getPath();
        String rawQuery = exchange.getRequestURI().getRawQuery();
        byte[] body = decodeBody(exchange, rawQuery);
        if (path.equals("/ping") || path.equals("/replicas_status")
                || (path.equals("/") && rawQuery == null && body.length == 0)) {
            send(exchange, 200, Map.of("Content-Type", "text/plain; charset=UTF-8"),
                    "Ok.\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (!path.equals("/")) {
            sendError(exchange, 404, 0, "There is no handle " + path);
            return;
        }
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType != null && contentType.startsWith("multipart/form-data")) {
            sendError(exchange, 501, 48, "Code: 48. DB::Exception: multipart requests (external tables) are "
                    + "not supported by the local ClickHouse. (NOT_IMPLEMENTED)");
            return;
        }
        HttpQuery query = HttpQuery.parse(rawQuery, exchange.getRequestHeaders()::getFirst, body);
        execute(exchange, query);
    }

    private void execute(HttpExchange exchange, HttpQuery query) throws IOException, InterruptedException {
        long started = System.nanoTime();
        Path spool = null;
        ChdbConnection.Result result;
        try {
            byte[] sql;
            if (query.isInsertWithData()) {
                spool = Files.createTempFile(spoolDir, "insert-", ".data");
                Files.write(spool, query.insertData());
                sql = query.insertFromFile(spool.toString()).getBytes(StandardCharsets.UTF_8);
            } else {
                sql = query.statement().getBytes(StandardCharsets.UTF_8);
            }
            result = sessions.run(query.database(), query.settings(), sql, query.outputFormat(), query.parameters(),
                    CONNECTION_WAIT);
        } finally {
            if (spool != null) {
                Files.deleteIfExists(spool);
            }
        }
        long elapsedNanos = System.nanoTime() - started;
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-ClickHouse-Server-Display-Name", "tokenmin-local-clickhouse");
        headers.put("X-ClickHouse-Query-Id", query.queryId());
        headers.put("X-ClickHouse-Timezone", timezone);
        if (result.failed()) {
            Matcher code = ERROR_CODE.matcher(result.error());
            int errorCode = code.find() ? Integer.parseInt(code.group(1)) : 1001;
            exchange.getResponseHeaders().add("X-ClickHouse-Query-Id", query.queryId());
            exchange.getResponseHeaders().add("X-ClickHouse-Timezone", timezone);
            sendError(exchange, httpStatusOf(errorCode), errorCode,
                    result.error().strip() + " (version " + version + ")");
            return;
        }
        headers.put("Content-Type", contentTypeOf(query.outputFormat()));
        headers.put("X-ClickHouse-Format", query.outputFormat());
        headers.put("X-ClickHouse-Summary", String.format(Locale.ROOT,
                "{\"read_rows\":\"%d\",\"read_bytes\":\"%d\",\"written_rows\":\"%d\",\"written_bytes\":\"%d\","
                        + "\"total_rows_to_read\":\"%d\",\"result_rows\":\"%d\",\"result_bytes\":\"%d\",\"elapsed_ns\":\"%d\"}",
                result.rowsRead(), result.bytesRead(), result.rowsWritten(), result.bytesWritten(), result.rowsRead(),
                result.rowsWritten() > 0 ? result.rowsWritten() : result.rowsRead(), result.data().length,
                elapsedNanos));
        byte[] out = result.data();
        if (query.compressResponse() && out.length > 0) {
            out = NativeCompression.compress(out);
        }
        send(exchange, 200, headers, out);
    }

    private static byte[] decodeBody(HttpExchange exchange, String rawQuery) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
        if (encoding != null && !encoding.isBlank() && !"identity".equalsIgnoreCase(encoding)) {
            InputStream decoded = switch (encoding.toLowerCase(Locale.ROOT)) {
                case "gzip" -> new GZIPInputStream(new ByteArrayInputStream(body));
                case "deflate" -> new InflaterInputStream(new ByteArrayInputStream(body));
                default -> throw new BadRequest(1001, "Code: 1001. DB::Exception: Content-Encoding " + encoding
                        + " is not supported; use gzip, deflate or ClickHouse's LZ4 (decompress=1). (NOT_IMPLEMENTED)");
            };
            try (decoded) {
                body = decoded.readAllBytes();
            }
        }
        if (HttpQuery.bodyIsCompressed(rawQuery)) {
            try {
                body = NativeCompression.decompress(body);
            } catch (IOException e) {
                throw new BadRequest(271, "Code: 271. DB::Exception: cannot decompress the request body: "
                        + e.getMessage() + ". (CANNOT_DECOMPRESS)");
            }
        }
        return body;
    }

    /** The HTTP status ClickHouse's own server answers for an error code. */
    static int httpStatusOf(int code) {
        return switch (code) {
            case 16, 46, 47, 50, 60, 81, 83 -> 404; // unknown column, function, identifier, type, table, database
            case 6, 26, 27, 32, 33, 36, 38, 41, 42, 43, 53, 62, 69, 70, 72, 115, 117, 130, 131, 132, 209, 271, 386, 457
                    -> 400; // cannot parse, bad arguments, syntax error, type mismatch, unknown setting, ...
            case 48 -> 501; // ClickHouse's NOT_IMPLEMENTED error code answers HTTP 501
            case 159, 202 -> 500; // timeout exceeded, too many simultaneous queries
            case 192, 193, 516 -> 401; // unknown user, wrong password, authentication failed
            case 164, 497 -> 403; // readonly, access denied
            default -> 500;
        };
    }

    private static String contentTypeOf(String format) {
        String f = format.toLowerCase(Locale.ROOT);
        if (f.startsWith("json")) {
            return "application/json; charset=UTF-8";
        }
        if (f.startsWith("tabseparated") || f.startsWith("tsv") || f.equals("tskv")) {
            return "text/tab-separated-values; charset=UTF-8";
        }
        if (f.startsWith("csv")) {
            return "text/csv; charset=UTF-8";
        }
        return "application/octet-stream";
    }

    private static void trySendError(HttpExchange exchange, int status, int code, String message) {
        try {
            sendError(exchange, status, code, message);
        } catch (IOException | RuntimeException e) {
            // The client went away or a response was already under way; nothing more to tell it.
        }
    }

    private static void sendError(HttpExchange exchange, int status, int code, String message) throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "text/plain; charset=UTF-8");
        if (code > 0) {
            headers.put("X-ClickHouse-Exception-Code", String.valueOf(code));
        }
        send(exchange, status, headers, (message + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, Map<String, String> headers, byte[] body)
            throws IOException {
        headers.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            exchange.getResponseBody().write(body);
        }
    }

    /** Stops accepting requests, lets running queries finish (up to 10 s), then closes the engine connections. */
    @Override
    public void close() {
        server.stop(0);
        threads.shutdown();
        try {
            if (!threads.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("queries still running after 10 s; closing the engine under them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sessions.close();
    }

    /** A request this server cannot read; answered 400 with ClickHouse's error form. */
    private static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int code;

        BadRequest(int code, String message) {
            super(message);
            this.code = code;
        }
    }
}
