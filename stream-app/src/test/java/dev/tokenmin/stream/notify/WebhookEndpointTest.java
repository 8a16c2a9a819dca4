package dev.tokenmin.stream.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.AlertKind;
import dev.tokenmin.stream.alerts.Alerts;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Endpoint settings and filters, the signature scheme, and the two payload forms. */
class WebhookEndpointTest {

    private static final Map<String, String> BASE = Map.of("bootstrap.servers", "k:9092",
            "schema.registry.url", "http://registry");

    private static NotifierConfig config(Map<String, String> more) {
        Map<String, String> props = new HashMap<>(BASE);
        props.putAll(more);
        return NotifierConfig.fromProperties(props);
    }

    @Test
    void shouldFilterByKindAndScopePrefix() {
        NotifierConfig c = config(Map.of("notify.endpoints", "acme", "notify.endpoint.acme.url", "https://hooks/a",
                "notify.endpoint.acme.secret", "s", "notify.endpoint.acme.kinds", "budget_threshold, anomaly",
                "notify.endpoint.acme.scope.prefix", "customer:acme"));
        WebhookEndpoint acme = c.endpoints().getFirst();
        Alert unpriced = Alerts.unpricedModel("openai", "m", Instant.EPOCH, Instant.EPOCH);
        Alert anomaly = Alerts.unpricedModel("openai", "m", Instant.EPOCH, Instant.EPOCH);
        anomaly.setKind(AlertKind.ANOMALY);
        anomaly.setScope("customer:acme/feature:chat");
        Alert otherCustomer = Alerts.unpricedModel("openai", "m", Instant.EPOCH, Instant.EPOCH);
        otherCustomer.setKind(AlertKind.ANOMALY);
        otherCustomer.setScope("customer:globex");

        assertThat(acme.wants(anomaly)).isTrue();
        assertThat(acme.wants(unpriced)).as("a kind it did not ask for").isFalse();
        assertThat(acme.wants(otherCustomer)).isFalse();
        assertThat(acme.toString()).doesNotContain("secret=s");
    }

    @Test
    void shouldNameEverySettingAtFault() {
        assertThatThrownBy(() -> config(Map.of("notify.endpoints", "ops, bad name",
                "notify.endpoint.ops.url", "ftp://x", "notify.endpoint.ops.kinds", "anomaly,nonsense")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("notify.endpoint.ops.secret")
                .hasMessageContaining("notify.endpoint.ops.url: must be an http or https URL")
                .hasMessageContaining("unknown kind \"nonsense\"")
                .hasMessageContaining("\"bad name\"");
        assertThatThrownBy(() -> config(Map.of())).hasMessageContaining("notify.endpoints");
    }

    @Test
    void shouldSignSoThatOnlyTheSameSecretBodyAndARecentTimeVerify() {
        byte[] body = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        String header = Signatures.sign("secret", 1_700_000_000L, body);

        assertThat(header).matches("t=1700000000,v1=[0-9a-f]{64}");
        assertThat(Signatures.verify("secret", header, body, 1_700_000_100L, 300)).isTrue();
        assertThat(Signatures.verify("other", header, body, 1_700_000_100L, 300)).isFalse();
        assertThat(Signatures.verify("secret", header, "{\"a\":2}".getBytes(StandardCharsets.UTF_8),
                1_700_000_100L, 300)).isFalse();
        assertThat(Signatures.verify("secret", header, body, 1_700_001_000L, 300)).as("replayed too late").isFalse();
        assertThat(Signatures.verify("secret", "t=1700000000,v1=zz", body, 1_700_000_000L, 300)).isFalse();
    }

    @Test
    void shouldCarryTheIdempotencyKeyInJsonAndTheSummaryForSlack() throws Exception {
        Alert a = Alerts.unpricedModel("openai", "gpt-9", Instant.parse("2026-11-22T10:00:00Z"),
                Instant.parse("2026-11-22T10:00:01Z"));
        JsonNode json = new ObjectMapper().readTree(AlertPayloads.json(a));
        assertThat(json.get("idempotency_key").asText()).isEqualTo(a.getAlertId().toString());
        assertThat(json.get("kind").asText()).isEqualTo("unpriced_model");
        assertThat(json.get("detail").get("model").asText()).isEqualTo("gpt-9");

        JsonNode slack = new ObjectMapper().readTree(AlertPayloads.slack(a));
        assertThat(slack.fieldNames()).toIterable().containsExactly("text");
        assertThat(slack.get("text").asText()).contains("no price for openai/gpt-9");
    }
}
