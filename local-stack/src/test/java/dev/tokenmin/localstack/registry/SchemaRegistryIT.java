package dev.tokenmin.localstack.registry;

import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.junit.LocalStackExtension;
import dev.tokenmin.localstack.junit.TestNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The registry speaks Confluent's REST API with BACKWARD compatibility, as Confluent-protocol clients expect. */
@ExtendWith(LocalStackExtension.class)
class SchemaRegistryIT {

    private static final String V1 = """
            {"type":"record","name":"Probe","namespace":"dev.tokenmin.test","fields":[
              {"name":"id","type":"string"}]}""";
    private static final String V2_OPTIONAL_FIELD = """
            {"type":"record","name":"Probe","namespace":"dev.tokenmin.test","fields":[
              {"name":"id","type":"string"},
              {"name":"note","type":["null","string"],"default":null}]}""";
    private static final String V3_REQUIRED_FIELD = """
            {"type":"record","name":"Probe","namespace":"dev.tokenmin.test","fields":[
              {"name":"id","type":"string"},
              {"name":"note","type":["null","string"],"default":null},
              {"name":"tenant","type":"string"}]}""";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void shouldRegisterEvolveWithAnOptionalFieldAndRejectANewRequiredField(Stack stack, TestNames names)
            throws Exception {
        String subject = stack.schemaRegistryUrl() + "/subjects/" + names.subject("probe-value");

        HttpResponse<String> v1 = post(subject + "/versions", V1);
        assertThat(v1.statusCode()).isEqualTo(200);
        assertThat(v1.body()).matches("\\{\"id\":\\d+}");

        HttpResponse<String> again = post(subject + "/versions", V1);
        assertThat(again.body()).as("registering the same schema is idempotent").isEqualTo(v1.body());

        HttpResponse<String> compatible = post(
                stack.schemaRegistryUrl() + "/compatibility/subjects/" + names.subject("probe-value") + "/versions/latest",
                V2_OPTIONAL_FIELD);
        assertThat(compatible.body()).contains("\"is_compatible\":true");
        HttpResponse<String> v2 = post(subject + "/versions", V2_OPTIONAL_FIELD);
        assertThat(v2.statusCode()).isEqualTo(200);
        assertThat(v2.body()).isNotEqualTo(v1.body());

        HttpResponse<String> incompatible = post(subject + "/versions", V3_REQUIRED_FIELD);
        assertThat(incompatible.statusCode()).isEqualTo(409);
        assertThat(incompatible.body()).contains("\"error_code\":409");

        HttpResponse<String> versions = http.send(HttpRequest.newBuilder(URI.create(subject + "/versions")).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(versions.body()).isEqualTo("[1,2]");
    }

    @Test
    void shouldAnswer40403ForAnUnknownSchemaId(Stack stack) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                URI.create(stack.schemaRegistryUrl() + "/schemas/ids/987654321")).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("40403");
    }

    private HttpResponse<String> post(String url, String schema) throws IOException, InterruptedException {
        String body = "{\"schema\":" + jsonString(schema) + "}";
        return http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String jsonString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
