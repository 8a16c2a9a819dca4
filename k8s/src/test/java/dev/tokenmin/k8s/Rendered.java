package dev.tokenmin.k8s;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An overlay as {@code kubectl kustomize} renders it: its documents, read into typed models on demand. The kubectl
 * on the {@code PATH} is used (or {@code $KUBECTL}); CI installs Debian's kubernetes-client, whose kustomize (v2.0.3,
 * in kubectl 1.20) the manifests keep to.
 */
final class Rendered {

    /** Unknown fields fail: a misspelt field in a manifest must not pass as an ignored one. */
    private static final ObjectMapper MODELS = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    final String overlay;
    final List<JsonNode> documents;

    private Rendered(String overlay, List<JsonNode> documents) {
        this.overlay = overlay;
        this.documents = documents;
    }

    static Rendered overlay(String name) throws IOException, InterruptedException {
        Path dir = k8sDir().resolve("overlays").resolve(name);
        String kubectl = System.getenv().getOrDefault("KUBECTL", "kubectl");
        Process p;
        try {
            p = new ProcessBuilder(kubectl, "kustomize", dir.toString()).redirectErrorStream(false).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run '" + kubectl + "' to render " + dir + ": install kubectl "
                    + "(Debian: apt-get install kubernetes-client) or set KUBECTL", e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("kubectl kustomize " + dir + " failed: " + err);
        }
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(out)) {
            while (it.hasNext()) {
                JsonNode d = it.next();
                if (d != null && !d.isEmpty()) {
                    docs.add(d);
                }
            }
        }
        return new Rendered(name, docs);
    }

    /** The folder {@code k8s/}, wherever the build runs from. */
    static Path k8sDir() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("overlays")) && Files.isDirectory(p.resolve("base"))) {
                return p;
            }
            if (Files.isDirectory(p.resolve("k8s/overlays"))) {
                return p.resolve("k8s");
            }
        }
        throw new IllegalStateException("no k8s/ folder above " + here);
    }

    List<JsonNode> ofKind(String kind) {
        return documents.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
    }

    <T> List<T> all(String kind, Class<T> type) {
        return ofKind(kind).stream().map(d -> as(d, type)).toList();
    }

    static <T> T as(JsonNode node, Class<T> type) {
        try {
            return MODELS.treeToValue(node, type);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + node.path("kind").asText() + " "
                    + node.path("metadata").path("name").asText() + " as " + type.getSimpleName() + ": "
                    + e.getMessage(), e);
        }
    }
}
