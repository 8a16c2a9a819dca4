package dev.tokenmin.stream.kafka;

import dev.tokenmin.schemas.config.Settings;

import java.util.HashMap;
import java.util.Map;

/**
 * What the stream app's commands need to reach Kafka and the registry, from {@code TOKENMIN_*} environment
 * variables overridden by {@code --set key=value}: {@code bootstrap.servers}, {@code schema.registry.url}, an
 * optional {@code topic}, and further client settings ({@code kafka.*}, security included).
 *
 * @param bootstrapServers  Kafka's bootstrap servers
 * @param schemaRegistryUrl the registry
 * @param topic             the topic to use
 * @param kafka             client settings, {@code bootstrap.servers} included
 */
public record ClientSettings(String bootstrapServers, String schemaRegistryUrl, String topic,
                             Map<String, Object> kafka) {

    /**
     * @param defaultTopic the topic unless {@code topic} is set
     * @throws IllegalArgumentException naming every missing setting
     */
    public static ClientSettings of(Map<String, String> env, Map<String, String> overrides, String defaultTopic,
                                    String command) {
        Settings s = new Settings(Settings.layered(null, env, overrides));
        String bootstrap = s.required("bootstrap.servers");
        String registry = s.required("schema.registry.url");
        s.throwIfAny(command);
        Map<String, Object> kafka = new HashMap<>(s.prefixed("kafka."));
        kafka.put("bootstrap.servers", bootstrap);
        return new ClientSettings(bootstrap, registry, s.string("topic", defaultTopic), kafka);
    }
}
