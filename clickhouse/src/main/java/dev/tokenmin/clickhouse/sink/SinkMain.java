package dev.tokenmin.clickhouse.sink;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.CompressionMethod;
import dev.tokenmin.clickhouse.migration.MigrationRunner;
import dev.tokenmin.clickhouse.migration.Migrations;
import dev.tokenmin.http.HttpEndpoint;
import dev.tokenmin.http.Meters;
import dev.tokenmin.http.Reply;
import dev.tokenmin.schemas.Topics;
import dev.tokenmin.schemas.config.Settings;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code tokenmin sink}: migrates the database (unless {@code --no-migrate}), then copies the priced, alerts,
 * throttle and prices topics into ClickHouse until stopped, one {@link TopicSink} each (consumer groups
 * {@code <group.id>-<table>}; more processes share the partitions). Settings from a properties file,
 * {@code TOKENMIN_*} and {@code --set}: {@code bootstrap.servers}, {@code schema.registry.url},
 * {@code clickhouse.url}, {@code clickhouse.user} ({@code default}), {@code clickhouse.password},
 * {@code clickhouse.database} ({@code tokenmin}), {@code clickhouse.ttl.days} (400), {@code sink.batch.rows}
 * (50000), {@code sink.batch.ms} (2000), {@code group.id} ({@code tokenmin-clickhouse-sink}),
 * {@code http.host}/{@code http.port} (127.0.0.1:8091: /metrics, /healthz), {@code kafka.*}, and on a cluster
 * {@code clickhouse.cluster} (migrations {@code ON CLUSTER}, Replicated engines, Distributed {@code *_all} tables,
 * which the sink then writes to).
 */
@Command(name = "sink", mixinStandardHelpOptions = true,
        description = "Copies priced events, alerts and throttle decisions into ClickHouse, exactly once.")
public final class SinkMain implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "A properties file.")
    private Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "One setting.")
    private Map<String, String> overrides = new HashMap<>();

    @Option(names = "--no-migrate", description = "Do not run the migrations first.")
    private boolean noMigrate;

    @Option(names = "--migrate-only", description = "Run the migrations, then exit (a deployment's migration job).")
    private boolean migrateOnly;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SinkMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Settings s = new Settings(Settings.layered(configFile, System.getenv(), overrides));
        String bootstrap = s.required("bootstrap.servers");
        String registryUrl = s.required("schema.registry.url");
        String url = s.required("clickhouse.url");
        String database = s.string("clickhouse.database", "tokenmin");
        int ttlDays = s.intBetween("clickhouse.ttl.days", 400, 1, 36_500);
        int rows = s.intBetween("sink.batch.rows", Sinks.Target.DEFAULT_MAX_ROWS, 1, 10_000_000);
        long ms = s.positiveLong("sink.batch.ms", Sinks.Target.DEFAULT_MAX_AGE.toMillis());
        int port = s.intBetween("http.port", 8091, 0, 65_535);
        try {
            s.throwIfAny("sink configuration");
        } catch (IllegalArgumentException e) {
            System.err.println("tokenmin sink: " + e.getMessage());
            return 2;
        }
        String group = s.string("group.id", "tokenmin-clickhouse-sink");
        String cluster = s.string("clickhouse.cluster");
        String suffix = cluster == null ? "" : "_all";
        Map<String, Object> kafka = new HashMap<>(s.prefixed("kafka."));
        kafka.put("bootstrap.servers", bootstrap);
        PrometheusMeterRegistry meters = Meters.prometheus();
        try (Client client = new Client.Builder().addEndpoint(url).setUsername(s.string("clickhouse.user", "default"))
                .setPassword(s.string("clickhouse.password", "")).compressClientRequest(true)
                .compressionMethod(CompressionMethod.LZ4).build();
             SchemaRegistryClient registry = new SchemaRegistryClient(SchemaRegistryConfig.of(registryUrl))) {
            if (!noMigrate || migrateOnly) {
                MigrationRunner.Result applied = new MigrationRunner(client, MigrationRunner.Settings.of(database)
                        .withTtlDays(ttlDays).withCluster(cluster)).migrate(Migrations.bundled());
                if (migrateOnly) {
                    System.err.println("tokenmin sink: migrations applied " + applied.applied() + ", "
                            + applied.alreadyApplied() + " already applied");
                    return 0;
                }
            }
            Sinks sinks = Sinks.start(client, registry, kafka, new Sinks.SourceTopics(
                    s.string("topic.priced", Topics.USAGE_PRICED), s.string("topic.alerts", Topics.ALERTS),
                    s.string("topic.throttle", Topics.THROTTLE), s.string("topic.prices", Topics.PRICES)),
                    new Sinks.Target(database, suffix, group, rows, Duration.ofMillis(ms)));
            sinks.bindTo(meters);
            try (HttpEndpoint http = new HttpEndpoint("sink", s.string("http.host", "127.0.0.1"), port,
                    new Handler.Abstract() {
                        @Override
                        public boolean handle(Request request, Response response, Callback callback) {
                            String path = request.getHttpURI().getPath();
                            Reply reply = switch (path) {
                                case "/metrics" -> Reply.metrics(meters.scrape());
                                case "/healthz" -> sinks.alive()
                                        ? Reply.json(200, Reply.object().put("status", "up"))
                                        : Reply.error(503, "a sink thread stopped; see the log");
                                default -> Reply.error(404, "no such endpoint: " + path);
                            };
                            reply.send(response, callback);
                            return true;
                        }
                    }).start()) {
                System.err.println("tokenmin sink: writing to " + database + " at " + url + "; metrics on "
                        + http.uri() + "/metrics");
                CountDownLatch stopped = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
                    sinks.close();
                    stopped.countDown();
                }));
                stopped.await();
            }
        }
        return 0;
    }
}
