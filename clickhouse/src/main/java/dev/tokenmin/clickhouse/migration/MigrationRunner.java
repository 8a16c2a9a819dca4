package dev.tokenmin.clickhouse.migration;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.ServerException;
import com.clickhouse.client.api.command.CommandSettings;
import com.clickhouse.client.api.query.GenericRecord;
import com.clickhouse.client.api.query.QuerySettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Brings a ClickHouse database to the latest migration. It records each applied migration (version, description,
 * checksum, when, how long) in {@code schema_migrations}; refuses to run when an applied migration's text has
 * changed, or when the database knows a version this build does not; and takes a lock first, so two processes
 * started at once apply each migration once. The lock is a table whose creation fails when it exists (ClickHouse
 * has no row locks without Keeper); a lock older than {@code staleLockAfter} is taken to be left by a crashed
 * runner and broken, with a warning.
 * <p>
 * Migrations are written to be re-runnable ({@code IF NOT EXISTS}), so one that a crash interrupted halfway runs
 * again in full. {@code ${ON_CLUSTER}}, {@code ${REPLICATED}}, {@code ${CLUSTER}}, {@code ${ALL}},
 * {@code ${DATABASE}} and {@code ${TTL_DAYS}} are filled from the settings: on a cluster every table is created
 * {@code ON CLUSTER} with a {@code Replicated*} engine, the statements marked {@code ${CLUSTER_ONLY}} add the
 * Distributed {@code *_all} tables, and readers name tables with {@code ${ALL}} to read those.
 */
public final class MigrationRunner {

    static final String HISTORY = "schema_migrations";
    static final String LOCK = "schema_migrations_lock";
    private static final Logger LOG = LoggerFactory.getLogger(MigrationRunner.class);
    private static final long TIMEOUT_S = 120;

    /**
     * @param database       the database to migrate (created if missing)
     * @param cluster        the cluster name, or null for a single node
     * @param ttlDays        how long raw events and rollups are kept
     * @param lockTimeout    how long to wait for another runner's lock
     * @param staleLockAfter when a lock is taken to be abandoned
     */
    public record Settings(String database, String cluster, int ttlDays, Duration lockTimeout,
                           Duration staleLockAfter) {

        public static Settings of(String database) {
            return new Settings(database, null, 400, Duration.ofMinutes(5), Duration.ofMinutes(15));
        }

        public Settings withTtlDays(int days) {
            return new Settings(database, cluster, days, lockTimeout, staleLockAfter);
        }

        public Settings withCluster(String name) {
            return new Settings(database, name, ttlDays, lockTimeout, staleLockAfter);
        }
    }

    /** What a run did: the versions it applied, and how many were applied before. */
    public record Result(List<Integer> applied, int alreadyApplied) {
    }

    private final Client client;
    private final Settings settings;
    private final String owner = UUID.randomUUID().toString();

    public MigrationRunner(Client client, Settings settings) {
        if (!settings.database().matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("database: letters, digits and '_', not starting with a digit; was \""
                    + settings.database() + "\"");
        }
        this.client = client;
        this.settings = settings;
    }

    public Result migrate(List<Migration> migrations) {
        String onCluster = settings.cluster() == null ? "" : "ON CLUSTER `" + settings.cluster() + "`";
        run("CREATE DATABASE IF NOT EXISTS `" + settings.database() + "` " + onCluster, "default");
        lock();
        try {
            run("CREATE TABLE IF NOT EXISTS " + HISTORY + " " + onCluster + " (version UInt32, description String, "
                    + "checksum String, applied_at DateTime64(3, 'UTC'), duration_ms UInt64) ENGINE = "
                    + (settings.cluster() == null ? "" : "Replicated") + "ReplacingMergeTree(applied_at) "
                    + "ORDER BY version", settings.database());
            Map<Integer, String> applied = applied();
            Map<Integer, Migration> known = new TreeMap<>();
            migrations.forEach(m -> known.put(m.version(), m));
            for (Map.Entry<Integer, String> a : applied.entrySet()) {
                Migration m = known.get(a.getKey());
                if (m == null) {
                    throw new MigrationException("database " + settings.database() + " has migration " + a.getKey()
                            + " applied, which this build does not know: run a build at least as new as the one "
                            + "that migrated it");
                }
                if (!m.checksum().equals(a.getValue())) {
                    throw new MigrationException("migration V" + a.getKey() + " (" + m.description() + ") was "
                            + "changed after it was applied to " + settings.database() + " (checksum "
                            + a.getValue().substring(0, 12) + "… then, " + m.checksum().substring(0, 12) + "… now): "
                            + "add a new migration instead of editing an applied one");
                }
            }
            Map<String, String> values = Map.of("ON_CLUSTER", onCluster,
                    "REPLICATED", settings.cluster() == null ? "" : "Replicated",
                    "TTL_DAYS", Integer.toString(settings.ttlDays()),
                    "CLUSTER", settings.cluster() == null ? "" : settings.cluster(),
                    "ALL", settings.cluster() == null ? "" : "_all",
                    "DATABASE", settings.database());
            List<Integer> done = new ArrayList<>();
            for (Migration m : known.values()) {
                if (applied.containsKey(m.version())) {
                    continue;
                }
                long start = System.nanoTime();
                for (String statement : Statements.of(m.sql(), values, settings.cluster() != null)) {
                    run(statement, settings.database());
                }
                long ms = (System.nanoTime() - start) / 1_000_000;
                run("INSERT INTO " + HISTORY + " VALUES (" + m.version() + ", '" + m.description() + "', '"
                        + m.checksum() + "', now64(3), " + ms + ")", settings.database());
                LOG.info("applied migration V{} {} to {} in {} ms", m.version(), m.description(),
                        settings.database(), ms);
                done.add(m.version());
            }
            LOG.info("database {} at migration {} ({} applied now, {} before)", settings.database(),
                    known.isEmpty() ? 0 : ((TreeMap<Integer, Migration>) known).lastKey(), done.size(),
                    applied.size());
            return new Result(List.copyOf(done), applied.size());
        } finally {
            unlock();
        }
    }

    private Map<Integer, String> applied() {
        Map<Integer, String> out = new HashMap<>();
        for (GenericRecord r : client.queryAll("SELECT version, checksum FROM " + HISTORY + " FINAL",
                new QuerySettings().setDatabase(settings.database()))) {
            out.put((int) r.getLong("version"), r.getString("checksum"));
        }
        return out;
    }

    private void lock() {
        long deadline = System.nanoTime() + settings.lockTimeout().toNanos();
        boolean waited = false;
        while (true) {
            try {
                run("CREATE TABLE " + LOCK + " (owner String) ENGINE = Memory COMMENT '" + owner + "'",
                        settings.database());
                return;
            } catch (MigrationException e) {
                if (!(e.getCause() instanceof ServerException se) || se.getCode() != 57) { // TABLE_ALREADY_EXISTS
                    throw e;
                }
            }
            Instant since = lockedSince();
            if (since != null && since.isBefore(Instant.now().minus(settings.staleLockAfter()))) {
                LOG.warn("breaking the migration lock on {} taken at {}: older than {}, its runner is taken to have "
                        + "died", settings.database(), since, settings.staleLockAfter());
                run("DROP TABLE IF EXISTS " + LOCK, settings.database());
                continue;
            }
            if (System.nanoTime() > deadline) {
                throw new MigrationException("another runner holds the migration lock on " + settings.database()
                        + " (since " + since + "); waited " + settings.lockTimeout());
            }
            if (!waited) {
                LOG.info("waiting for another runner's migration lock on {}", settings.database());
                waited = true;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MigrationException("interrupted while waiting for the migration lock", e);
            }
        }
    }

    private Instant lockedSince() {
        List<GenericRecord> rows = client.queryAll("SELECT metadata_modification_time AS t FROM system.tables "
                + "WHERE database = '" + settings.database() + "' AND name = '" + LOCK + "'");
        if (rows.isEmpty()) {
            return null;
        }
        ZonedDateTime t = rows.getFirst().getZonedDateTime("t");
        return t == null ? null : t.toInstant();
    }

    private void unlock() {
        try {
            run("DROP TABLE IF EXISTS " + LOCK, settings.database());
        } catch (MigrationException e) {
            LOG.warn("could not release the migration lock on {}: {}; the next runner breaks it after {}",
                    settings.database(), e.getMessage(), settings.staleLockAfter());
        }
    }

    private void run(String sql, String database) {
        try {
            client.execute(sql, (CommandSettings) new CommandSettings().setDatabase(database))
                    .get(TIMEOUT_S, TimeUnit.SECONDS).close();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new MigrationException("ClickHouse refused: " + firstLine(cause.getMessage()) + " in: "
                    + firstLine(sql), cause);
        } catch (TimeoutException e) {
            throw new MigrationException("ClickHouse did not answer within " + TIMEOUT_S + " s: " + firstLine(sql), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MigrationException("interrupted", e);
        } catch (Exception e) {
            if (e instanceof MigrationException me) {
                throw me;
            }
            throw new MigrationException("ClickHouse refused: " + firstLine(e.getMessage()) + " in: "
                    + firstLine(sql), e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
