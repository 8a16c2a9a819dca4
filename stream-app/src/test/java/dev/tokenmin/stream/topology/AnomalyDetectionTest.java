package dev.tokenmin.stream.topology;

import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.AlertKind;
import dev.tokenmin.avro.AnomalyDetail;
import dev.tokenmin.avro.AnomalyFactor;
import dev.tokenmin.avro.PriceEntry;
import dev.tokenmin.avro.UsageEvent;
import dev.tokenmin.avro.WindowKind;
import dev.tokenmin.schemas.pricing.PriceKeys;
import dev.tokenmin.stream.config.StreamAppConfig;
import dev.tokenmin.stream.config.TopicNames;
import dev.tokenmin.stream.pricing.PriceCatalog;
import dev.tokenmin.stream.serde.StreamSerdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Anomaly detection on the production topology with synthetic history: 30 days of steady hourly traffic with ±50%
 * noise per hour, then one spiking hour of each kind. Prices: gpt-4.1-mini 0.40 USD per million input tokens, so a
 * call with 500,000 prompt tokens costs 0.20 USD and a normal hour (six calls) about 1.20 USD; gpt-4.1 costs five
 * times as much per token.
 */
class AnomalyDetectionTest {

    private static final StreamSerdes SERDES = TestSerdes.registryFree();
    private static final Instant HISTORY_START = Instant.parse("2026-11-01T00:00:00Z");
    private static final Instant SPIKE_HOUR = Instant.parse("2026-12-01T10:00:00Z");
    private static final int CALLS_PER_HOUR = 6;
    private static final long PROMPT = 500_000;
    /** Steady history up to the spike hour: 30 days from 1 November, then 1 December until 10:00. */
    private static final int HISTORY_HOURS = 30 * 24 + 10;

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, UsageEvent> usage;
    private TestOutputTopic<String, Alert> alerts;
    private final Random random = new Random(42);

    private void start(Map<String, String> settings) {
        Map<String, String> props = new HashMap<>(Map.of("bootstrap.servers", "unused:9092",
                "schema.registry.url", "http://unused", "state.dir", stateDir.toString(),
                "anomaly.flush.ms", String.valueOf(MeteringTopologyTest.FLUSH.toMillis())));
        props.putAll(settings);
        StreamAppConfig config = StreamAppConfig.fromProperties(props);
        TopicNames topics = config.topics();
        driver = new TopologyTestDriver(MeteringTopology.build(config, SERDES), config.streamsProperties(),
                Instant.parse("2027-01-01T00:00:00Z"));
        TestInputTopic<String, PriceEntry> prices = driver.createInputTopic(topics.prices(), new StringSerializer(),
                SERDES.price().serializer());
        PriceCatalog.bundled().entries().forEach(e -> prices.pipeInput(PriceKeys.key(e), e));
        usage = driver.createInputTopic(topics.usage(), new StringSerializer(), SERDES.usage().serializer());
        alerts = driver.createOutputTopic(topics.alerts(), new StringDeserializer(), SERDES.alert().deserializer());
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
    }

    private void send(Instant at, String model, long prompt, String user) {
        UsageEvent e = UsageEvent.newBuilder().setEventId(UUID.randomUUID()).setOccurredAt(at).setSource("gw")
                .setCustomerId("acme").setUserId(user).setFeature("summarize").setProvider("openai").setModel(model)
                .setInputTokens(prompt).setOutputTokens(500).build();
        usage.pipeInput(e.getEventId().toString(), e, at);
        if (flushEachEvent) {
            driver.advanceWallClockTime(MeteringTopologyTest.FLUSH);
        }
    }

    /** Whether {@link #send} lets the pricing side flush its sums after each event (judged one by one, in order). */
    private boolean flushEachEvent = true;

    /** What each history hour cost, by its start: the test's own record, to compute the baseline independently. */
    private final Map<Instant, Long> hourCost = new HashMap<>();

    /** gpt-4.1-mini: 400 nano-USD per input token, 1,600 per output token; every call has 500 output tokens. */
    private static long cost(long prompt) {
        return prompt * 400 + 500 * 1_600;
    }

    /** Steady traffic from {@code from} for {@code hours}: six calls an hour, the hour's size times 0.5 to 1.5. */
    private void history(Instant from, int hours) {
        boolean flushing = flushEachEvent;
        flushEachEvent = false; // one flush per hour: its calls are of different minutes, so they go on in order
        for (int h = 0; h < hours; h++) {
            double noise = 0.5 + random.nextDouble();
            Instant hour = from.plus(Duration.ofHours(h));
            for (int i = 0; i < CALLS_PER_HOUR; i++) {
                long prompt = Math.round(PROMPT * noise);
                send(hour.plus(Duration.ofMinutes(10L * i)), "gpt-4.1-mini", prompt, "u" + random.nextInt(20));
                hourCost.merge(hour, cost(prompt), Long::sum);
            }
            driver.advanceWallClockTime(MeteringTopologyTest.FLUSH);
        }
        flushEachEvent = flushing;
    }

    /** The documented baseline of an hour: the larger of the medians of the 24 hours before and of the same hour
     *  in each of the four weeks before. */
    private long expectedBaseline(Instant hour) {
        List<Long> trailing = new ArrayList<>();
        for (int h = 1; h <= 24; h++) {
            trailing.add(hourCost.getOrDefault(hour.minus(Duration.ofHours(h)), 0L));
        }
        List<Long> weekly = new ArrayList<>();
        for (int w = 1; w <= 4; w++) {
            weekly.add(hourCost.getOrDefault(hour.minus(Duration.ofDays(7L * w)), 0L));
        }
        return Math.max(median(trailing), median(weekly));
    }

    private static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Anomaly alerts so far; their record timestamps, the event time of the call that fired, in {@code firedAt}. */
    private List<Alert> anomalies() {
        List<Alert> out = new ArrayList<>();
        for (TestRecord<String, Alert> r : alerts.readRecordsToList()) {
            if (r.value().getKind() == AlertKind.ANOMALY) {
                out.add(r.value());
                firedAt.put(r.value().getAlertId(), r.getRecordTime());
            }
        }
        return out;
    }

    private final Map<UUID, Instant> firedAt = new HashMap<>();

    private static AnomalyDetail detail(Alert a) {
        return (AnomalyDetail) a.getDetail();
    }

    @Test
    void shouldRaiseNothingOnThirtyDaysOfNoisyTrafficInAnyDimension() {
        start(Map.of());
        history(HISTORY_START, HISTORY_HOURS);

        List<Alert> raised = anomalies();
        System.out.printf("[AnomalyDetectionTest] false positives on 30 noisy days (4 dimensions, hourly, daily, "
                + "month to date): %d%n", raised.size());
        assertThat(raised).isEmpty();
    }

    @Test
    void shouldRaiseOneAlertWhenAVolumeSpikeReachesFourTimesTheBaselineAndNameTheVolume() {
        start(Map.of("anomaly.dimensions", "feature"));
        history(HISTORY_START, HISTORY_HOURS);
        assertThat(anomalies()).isEmpty();

        // More calls of the usual size, one every two minutes: just short of 4x the baseline, then past it.
        long fourTimes = 4 * expectedBaseline(SPIKE_HOUR);
        long perCall = cost(PROMPT);
        int below = (int) ((fourTimes + perCall - 1) / perCall) - 1;
        for (int i = 0; i < below; i++) {
            send(SPIKE_HOUR.plus(Duration.ofMinutes(2L * i)), "gpt-4.1-mini", PROMPT, "u" + (i % 3));
        }
        assertThat(anomalies()).as("%d calls: %d nanos, under 4x the baseline", below, below * perCall).isEmpty();
        for (int i = below; i < 30; i++) { // the spike goes on: still one alert for this hour
            send(SPIKE_HOUR.plus(Duration.ofMinutes(2L * i)), "gpt-4.1-mini", PROMPT, "u" + (i % 3));
        }

        List<Alert> raised = anomalies();
        assertThat(raised).hasSize(1);
        Alert alert = raised.getFirst();
        AnomalyDetail d = detail(alert);
        assertThat(alert.getScope()).isEqualTo("feature:summarize");
        assertThat(d.getWindowKind()).isEqualTo(WindowKind.HOUR);
        assertThat(d.getWindowStart()).isEqualTo(SPIKE_HOUR);
        assertThat(d.getRatioMicros()).isGreaterThanOrEqualTo(4_000_000);
        assertThat(d.getBaselineNanos()).isEqualTo(fourTimes / 4);
        assertThat(d.getCurrentNanos()).isEqualTo((below + 1) * perCall);
        assertThat(d.getCauses().getFirst().getFactor()).isEqualTo(AnomalyFactor.REQUEST_VOLUME);
        assertThat(d.getTopContributors()).extracting(c -> c.getDimension() + ":" + c.getId())
                .contains("model:openai/gpt-4.1-mini", "user:u0");
        assertThat(alert.getSummary()).startsWith("feature:summarize: hour spend x").contains("request volume x");
        Duration delay = Duration.between(SPIKE_HOUR, firedAt.get(alert.getAlertId()));
        assertThat(delay).isLessThan(Duration.ofHours(1));
        System.out.printf("[AnomalyDetectionTest] volume spike, a call every 2 min (x5 the usual rate): alert with "
                + "call %d at %s, %d min after the first spiking call (event time); %s%n", below + 1,
                firedAt.get(alert.getAlertId()), delay.toMinutes(), alert.getSummary());
    }

    @Test
    void shouldNameContextInflation() {
        start(Map.of("anomaly.dimensions", "feature"));
        history(HISTORY_START, HISTORY_HOURS);

        for (int i = 0; i < CALLS_PER_HOUR; i++) {
            send(SPIKE_HOUR.plus(Duration.ofMinutes(10L * i)), "gpt-4.1-mini", 6 * PROMPT, "u1");
        }

        List<Alert> raised = anomalies();
        assertThat(raised).hasSize(1);
        AnomalyDetail d = detail(raised.getFirst());
        assertThat(d.getCauses().getFirst().getFactor()).isEqualTo(AnomalyFactor.INPUT_TOKENS_PER_REQUEST);
        assertThat(d.getCauses().getFirst().getRatioMicros()).isBetween(5_000_000L, 7_000_000L);
        assertThat(raised.getFirst().getSummary()).contains("context inflation");
        // Only u1 called, with one model, in the spiking hour: each is the whole of the window's spend so far.
        assertThat(d.getTopContributors()).anySatisfy(c -> {
            assertThat(c.getId()).isEqualTo("u1");
            assertThat(c.getCostNanos()).isEqualTo(d.getCurrentNanos());
        });
        assertThat(d.getTopContributors()).anySatisfy(c -> {
            assertThat(c.getId()).isEqualTo("openai/gpt-4.1-mini");
            assertThat(c.getCostNanos()).isEqualTo(d.getCurrentNanos());
        });
    }

    @Test
    void shouldNameAShiftToACostlierModel() {
        start(Map.of("anomaly.dimensions", "feature"));
        history(HISTORY_START, HISTORY_HOURS);

        for (int i = 0; i < CALLS_PER_HOUR; i++) {
            send(SPIKE_HOUR.plus(Duration.ofMinutes(10L * i)), "gpt-4.1", PROMPT, "u1");
        }

        List<Alert> raised = anomalies();
        assertThat(raised).hasSize(1);
        AnomalyDetail d = detail(raised.getFirst());
        assertThat(d.getCauses().getFirst().getFactor()).isEqualTo(AnomalyFactor.MODEL_MIX);
        assertThat(d.getTopContributors()).extracting(c -> c.getId()).contains("openai/gpt-4.1");
    }

    @Test
    void shouldCompareMonthToDateWithTheSameDaysOfLastMonth() {
        start(Map.of("anomaly.dimensions", "feature"));
        Instant october = Instant.parse("2026-10-01T12:00:00Z");
        for (int day = 0; day < 31; day++) { // one 2 USD call a day in October
            send(october.plus(Duration.ofDays(day)), "gpt-4.1-mini", 10 * PROMPT, "u1");
        }
        Instant november = Instant.parse("2026-11-01T12:00:00Z");
        for (int day = 0; day < 3; day++) { // five times as much from 1 November on
            send(november.plus(Duration.ofDays(day)), "gpt-4.1-mini", 50 * PROMPT, "u1");
        }

        List<Alert> month = anomalies().stream().filter(a -> detail(a).getWindowKind() == WindowKind.MONTH).toList();
        assertThat(month).hasSize(1);
        AnomalyDetail d = detail(month.getFirst());
        assertThat(d.getWindowStart()).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
        assertThat(d.getBaselineNanos()).as("1 October, the same day of last month").isEqualTo(2_000_800_000L);
        assertThat(d.getCurrentNanos()).isEqualTo(10_000_800_000L);
        assertThat(month.getFirst().getSummary()).contains("month to date spend x5.0");
    }

    @Test
    void shouldJudgeNothingWithoutEnoughHistory() {
        start(Map.of());
        history(HISTORY_START, 10); // ten hours: less than the 24 hours an hourly window needs

        for (int i = 0; i < 10 * CALLS_PER_HOUR; i++) {
            send(HISTORY_START.plus(Duration.ofHours(10)).plus(Duration.ofSeconds(50L * i)), "gpt-4.1-mini", PROMPT,
                    "u1");
        }

        assertThat(anomalies()).isEmpty();
    }

    @Test
    void shouldNameEachUsersExactCostWhenTheWholeSpikeArrivesBetweenTwoFlushes() {
        start(Map.of("anomaly.dimensions", "feature"));
        history(HISTORY_START, HISTORY_HOURS);
        assertThat(anomalies()).isEmpty();

        flushEachEvent = false; // 30 calls within one minute, summed into one delta before the detector sees them
        int[] calls = {15, 10, 5};
        for (int user = 0; user < calls.length; user++) {
            for (int i = 0; i < calls[user]; i++) {
                send(SPIKE_HOUR.plusSeconds(user * 15L + i), "gpt-4.1-mini", PROMPT, "u" + user);
            }
        }
        assertThat(anomalies()).as("not judged before the flush").isEmpty();
        driver.advanceWallClockTime(MeteringTopologyTest.FLUSH);

        List<Alert> raised = anomalies();
        assertThat(raised).hasSize(1);
        AnomalyDetail d = detail(raised.getFirst());
        long perCall = cost(PROMPT);
        assertThat(d.getCurrentNanos()).isEqualTo(30 * perCall);
        assertThat(d.getTopContributors()).filteredOn(c -> c.getDimension().equals("user"))
                .extracting(c -> c.getId() + "=" + c.getCostNanos())
                .containsExactly("u0=" + 15 * perCall, "u1=" + 10 * perCall, "u2=" + 5 * perCall);
        assertThat(d.getTopContributors()).filteredOn(c -> c.getDimension().equals("model"))
                .extracting(c -> c.getId() + "=" + c.getCostNanos())
                .containsExactly("openai/gpt-4.1-mini=" + 30 * perCall);
    }

    @Test
    void shouldRaiseTheSameSpikeOncePerDimension() {
        start(Map.of());
        history(HISTORY_START, HISTORY_HOURS);

        for (int i = 0; i < 5 * CALLS_PER_HOUR; i++) {
            send(SPIKE_HOUR.plus(Duration.ofMinutes(2L * i)), "gpt-4.1-mini", PROMPT, "u1");
        }

        assertThat(anomalies()).extracting(Alert::getScope).containsExactlyInAnyOrder("feature:summarize",
                "customer:acme", "customer:acme/feature:summarize", "model:openai/gpt-4.1-mini");
    }
}
