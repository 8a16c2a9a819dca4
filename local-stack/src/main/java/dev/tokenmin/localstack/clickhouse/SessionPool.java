package dev.tokenmin.localstack.clickhouse;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A fixed pool of engine connections that run queries in parallel, one request per connection at a time. Each
 * request names its database and settings; the pool applies exactly those to the connection it lends and puts
 * every other setting back to its default, so nothing one request sets leaks into another.
 */
final class SessionPool implements AutoCloseable {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** One engine connection and the session state this pool has put on it. */
    private static final class Session {
        final ChdbConnection connection;
        String database = "default";
        final Map<String, String> settings = new HashMap<>();

        Session(ChdbConnection connection) {
            this.connection = connection;
        }
    }

    private final List<Session> all = new ArrayList<>();
    private final BlockingQueue<Session> idle;

    SessionPool(Path library, Path dataDir, int size) {
        idle = new ArrayBlockingQueue<>(size);
        for (int i = 0; i < size; i++) {
            Session session = new Session(ChdbConnection.open(library, dataDir));
            all.add(session);
            idle.add(session);
        }
    }

    /**
     * Runs {@code sql} on a free connection in {@code database} with {@code settings}; waits for a connection up
     * to {@code wait}. Errors in the database or a setting come back as the engine's error, like ClickHouse's.
     */
    ChdbConnection.Result run(String database, Map<String, String> settings, byte[] sql, String format,
                              Map<String, String> parameters, Duration wait) throws InterruptedException {
        Session session = idle.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        if (session == null) {
            return ChdbConnection.Result.failure("Code: 202. DB::Exception: no free engine connection within "
                    + wait.toSeconds() + " s. (TOO_MANY_SIMULTANEOUS_QUERIES)");
        }
        try {
            ChdbConnection.Result prepared = prepare(session, database, settings);
            if (prepared != null) {
                return prepared;
            }
            return session.connection.query(sql, format, parameters);
        } finally {
            idle.add(session);
        }
    }

    /** Puts the session into the requested state; returns an error result, or null when it is ready. */
    private static ChdbConnection.Result prepare(Session session, String database, Map<String, String> settings) {
        for (String name : settings.keySet()) {
            if (!NAME.matcher(name).matches()) {
                return ChdbConnection.Result.failure("Code: 115. DB::Exception: Unknown setting '" + name
                        + "'. (UNKNOWN_SETTING)");
            }
        }
        String db = database == null || database.isBlank() ? "default" : database;
        if (!db.equals(session.database)) {
            ChdbConnection.Result use = session.connection.query("USE " + quoteIdentifier(db), "TabSeparated");
            if (use.failed()) {
                return use;
            }
            session.database = db;
        }
        for (String name : List.copyOf(session.settings.keySet())) {
            if (!settings.containsKey(name)) {
                ChdbConnection.Result reset = session.connection.query("SET " + name + " = DEFAULT", "TabSeparated");
                if (reset.failed()) {
                    return reset;
                }
                session.settings.remove(name);
            }
        }
        for (Map.Entry<String, String> setting : settings.entrySet()) {
            if (setting.getValue().equals(session.settings.get(setting.getKey()))) {
                continue;
            }
            ChdbConnection.Result set = session.connection.query(
                    "SET " + setting.getKey() + " = " + quoteString(setting.getValue()), "TabSeparated");
            if (set.failed()) {
                // The engine kept its previous value, which the map still describes.
                return set;
            }
            session.settings.put(setting.getKey(), setting.getValue());
        }
        return null;
    }

    static String quoteIdentifier(String name) {
        return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`";
    }

    static String quoteString(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    @Override
    public void close() {
        for (Session session : all) {
            session.connection.close();
        }
    }
}
