package dev.tokenmin.benchmarks;

import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.localstack.BuildInfo;
import dev.tokenmin.localstack.registry.ApicurioRegistry;
import dev.tokenmin.schemas.Topics;
import dev.tokenmin.schemas.registry.SchemaRegistryClient;
import dev.tokenmin.schemas.registry.SchemaRegistryConfig;
import dev.tokenmin.schemas.serde.ConfluentAvroSerde;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Serializing and deserializing a typical UsageEvent in Confluent's wire format with a warm schema cache (the
 * steady state of a gateway or the stream app). Target: at most 2 µs per operation each. The registry is the real
 * one (Apicurio, started for the trial); after the first call no request reaches it.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class SerdeBenchmark {

    private ApicurioRegistry registry;
    private SchemaRegistryClient client;
    private ConfluentAvroSerde<UsageEvent> serde;
    private UsageEvent event;
    private byte[] bytes;

    @Setup(Level.Trial)
    public void startRegistry() throws IOException {
        Path home = Files.createTempDirectory("serde-benchmark");
        registry = ApicurioRegistry.start(home, BuildInfo.load(), Duration.ofMinutes(2));
        client = new SchemaRegistryClient(SchemaRegistryConfig.of(registry.ccompatUrl()));
        serde = ConfluentAvroSerde.of(UsageEvent.class, client, false);
        event = typicalEvent();
        bytes = serde.serializer().serialize(Topics.USAGE, event);
        serde.deserializer().deserialize(Topics.USAGE, bytes);
    }

    /** A summarization call routed to a small model, with cache reads, reasoning and two labels. */
    static UsageEvent typicalEvent() {
        return UsageEvent.newBuilder()
                .setEventId(UUID.fromString("6f1c2b9e-5a8d-4c3e-9f70-2b1d4e6a8c01"))
                .setOccurredAt(Instant.parse("2026-11-22T10:15:30.123Z"))
                .setSource("gw-eu-1").setRequestId("req_01JD7Q8X2V").setCustomerId("acme")
                .setUserId("h:0f3a9c27d1e84b5a9c6d2e1f0a7b3c4d").setFeature("summarize").setTeam("ml")
                .setSessionId("s-42").setAgentRunId("run-7").setProvider("openai").setModel("gpt-4.1-mini")
                .setRequestedModel("gpt-4.1").setModelTier("small").setIntent("summarization").setComplexity("low")
                .setInputTokens(1_850).setCachedInputTokens(6_200).setOutputTokens(412).setReasoningTokens(128)
                .setLatencyMs(1_240L).setLabels(Map.of("env", "prod", "region", "eu"))
                .build();
    }

    @Benchmark
    public byte[] serialize() {
        return serde.serializer().serialize(Topics.USAGE, event);
    }

    @Benchmark
    public UsageEvent deserialize() {
        return serde.deserializer().deserialize(Topics.USAGE, bytes);
    }

    @TearDown(Level.Trial)
    public void stopRegistry() {
        serde.close();
        client.close();
        registry.close();
    }
}
