package dev.tokenmin.pipeline.run;

import dev.tokenmin.clickhouse.sink.Sinks;
import dev.tokenmin.stream.config.TopicNames;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The names one run uses. On the local stack, which each run starts empty, they are tokenmin's standard names. On
 * an existing cluster each run gets its own topics (suffix {@code .run-<time>}), consumer groups and database, so
 * runs never mix with each other or with what the cluster already holds; they are printed, and left for the
 * owner to drop.
 */
record RunNames(TopicNames topics, String database, String applicationId, String sinkGroup) {

    static RunNames standard() {
        return new RunNames(TopicNames.DEFAULT, "tokenmin", "tokenmin-stream", "tokenmin-clickhouse-sink");
    }

    static RunNames isolated(Instant now) {
        String run = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(now);
        return new RunNames(TopicNames.DEFAULT.withSuffix(".run-" + run), "tokenmin_run_" + run.replace('-', '_'),
                "tokenmin-stream-run-" + run, "tokenmin-clickhouse-sink-run-" + run);
    }

    Sinks.SourceTopics sinkTopics() {
        return new Sinks.SourceTopics(topics.priced(), topics.alerts(), topics.throttle(), topics.prices());
    }
}
