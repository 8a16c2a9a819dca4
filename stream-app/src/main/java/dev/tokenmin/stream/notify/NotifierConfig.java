package dev.tokenmin.stream.notify;

import dev.tokenmin.schemas.config.Settings;
import dev.tokenmin.stream.config.TopicNames;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The webhook notifier's settings: Kafka and the registry, the endpoints ({@link WebhookEndpoint#from}), how often a
 * failing delivery is tried ({@code notify.max.attempts}, default 8) and the backoff between tries (doubling from
 * {@code notify.backoff.initial.ms}, default 1 s, up to {@code notify.backoff.max.ms}, default 60 s), and the
 * consumer group prefix ({@code notify.group.prefix}, default {@code tokenmin-notifier}; one group per endpoint).
 *
 * @param bootstrapServers  Kafka's bootstrap servers
 * @param schemaRegistryUrl the registry
 * @param kafka             further client settings ({@code kafka.*})
 * @param topics            the alerts topic and the webhook dead-letter topic
 * @param endpoints         the subscribers
 * @param maxAttempts       tries per alert and endpoint before it is dead-lettered
 * @param initialBackoff    the wait after the first failure
 * @param maxBackoff        the longest wait between tries
 * @param groupPrefix       consumer groups are {@code <prefix>-<endpoint>}
 */
public record NotifierConfig(String bootstrapServers, String schemaRegistryUrl, Map<String, String> kafka,
                             TopicNames topics, List<WebhookEndpoint> endpoints, int maxAttempts,
                             Duration initialBackoff, Duration maxBackoff, String groupPrefix) {

    /** @throws IllegalArgumentException listing every key at fault */
    public static NotifierConfig fromProperties(Map<String, String> props) {
        Settings s = new Settings(props);
        String bootstrap = s.required("bootstrap.servers");
        String registry = s.required("schema.registry.url");
        List<WebhookEndpoint> endpoints = WebhookEndpoint.from(s);
        if (endpoints.isEmpty() && !s.hasErrors()) {
            s.error(WebhookEndpoint.ENDPOINTS + ": name at least one endpoint, e.g. notify.endpoints=ops");
        }
        int attempts = s.intBetween("notify.max.attempts", 8, 1, 100);
        long initial = s.positiveLong("notify.backoff.initial.ms", 1_000);
        long max = s.positiveLong("notify.backoff.max.ms", 60_000);
        s.throwIfAny("notifier configuration");
        return new NotifierConfig(bootstrap, registry, s.prefixed("kafka."), TopicNames.DEFAULT, endpoints, attempts,
                Duration.ofMillis(initial), Duration.ofMillis(Math.max(initial, max)),
                s.string("notify.group.prefix", "tokenmin-notifier"));
    }

    public NotifierConfig withTopics(TopicNames names) {
        return new NotifierConfig(bootstrapServers, schemaRegistryUrl, kafka, names, endpoints, maxAttempts,
                initialBackoff, maxBackoff, groupPrefix);
    }

    public NotifierConfig withGroupPrefix(String prefix) {
        return new NotifierConfig(bootstrapServers, schemaRegistryUrl, kafka, topics, endpoints, maxAttempts,
                initialBackoff, maxBackoff, prefix);
    }
}
