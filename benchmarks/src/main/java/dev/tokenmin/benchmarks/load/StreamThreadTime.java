package dev.tokenmin.benchmarks.load;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.DoubleStream;

/**
 * Where the stream threads' wall-clock time went during a stretch of load, from Kafka Streams' own thread metrics:
 * the shares of processing, punctuation, polling and committing (sampled while the load runs and averaged), the
 * commits' latency, and the time blocked on Kafka clients. A thread that uses little CPU yet falls behind is waiting
 * on something; this says on what. Also how old records are (wall clock minus the record's timestamp: event time at
 * the usage source) when each source node reads them, Kafka Streams' {@code record-e2e-latency}: the hops' delays.
 */
final class StreamThreadTime {

    private static final String GROUP = "stream-thread-metrics";
    private static final String[] RATIOS = {"process-ratio", "punctuate-ratio", "poll-ratio", "commit-ratio"};

    private final KafkaStreams streams;
    private final double[] ratioSums = new double[RATIOS.length];
    private int samples;
    private final double blocked0;
    private final double commits0;
    private final long start = System.nanoTime();

    StreamThreadTime(KafkaStreams streams) {
        this.streams = streams;
        this.blocked0 = sum("blocked-time-ns-total");
        this.commits0 = sum("commit-total");
    }

    /** Records the current ratios (averaged over the stream threads); call about once a second. */
    void sample() {
        for (int i = 0; i < RATIOS.length; i++) {
            ratioSums[i] += mean(RATIOS[i]);
        }
        samples++;
    }

    /**
     * Two lines: the average shares, commits per second and their latency, and the share blocked on clients; then
     * the fetches.
     */
    String summary() {
        double seconds = (System.nanoTime() - start) / 1e9;
        StringBuilder line = new StringBuilder("      stream thread time:");
        for (int i = 0; i < RATIOS.length; i++) {
            line.append(String.format(" %s %.0f%%", RATIOS[i].replace("-ratio", ""),
                    samples == 0 ? 0 : 100 * ratioSums[i] / samples));
        }
        return line.append(String.format("; %.1f commits/s, latency avg %.0f ms, max %.0f ms; blocked on Kafka "
                        + "clients %.0f%% of the time%n", (sum("commit-total") - commits0) / seconds,
                mean("commit-latency-avg"), max("commit-latency-max"),
                100 * (sum("blocked-time-ns-total") - blocked0) / 1e9 / seconds / threads())).toString()
                + fetches();
    }

    /**
     * One line: the stream threads' main consumers' fetches (averages over Kafka's metric window): how often, how
     * long each took, how many records each brought. Time in poll that is not CPU is waiting on these. The restore
     * and global consumers are left out (the global one long-polls the prices topic, which rarely changes).
     */
    private String fetches() {
        double[] acc = new double[4];
        int consumers = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            MetricName n = e.getKey();
            String client = n.tags().getOrDefault("client-id", "");
            if (!n.group().equals("consumer-fetch-manager-metrics") || n.tags().containsKey("topic")
                    || !client.matches(".*-StreamThread-\\d+-consumer")
                    || !(e.getValue().metricValue() instanceof Number v) || Double.isNaN(v.doubleValue())) {
                continue;
            }
            switch (n.name()) {
                case "fetch-rate" -> {
                    acc[0] += v.doubleValue();
                    consumers++;
                }
                case "fetch-latency-avg" -> acc[1] += v.doubleValue();
                case "records-per-request-avg" -> acc[2] += v.doubleValue();
                case "fetch-size-avg" -> acc[3] += v.doubleValue();
                default -> {
                }
            }
        }
        int c = Math.max(1, consumers);
        return String.format("      stream threads' fetches: %.1f/s, latency avg %.0f ms, %.0f records and %.0f KiB "
                + "each%n", acc[0], acc[1] / c, acc[2] / c, acc[3] / c / 1024);
    }

    /**
     * One line: the record e2e latency at each source node, average over tasks of the average, and the max, both over
     * Kafka's metric window (about the last minute, so a step's figure still carries some of what came before it).
     */
    String sourceLatencies() {
        Map<String, double[]> byNode = new TreeMap<>();
        for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            MetricName n = e.getKey();
            String node = n.tags().get("processor-node-id");
            if (!n.group().equals("stream-processor-node-metrics") || node == null || !node.contains("source")
                    || !(e.getValue().metricValue() instanceof Number v) || Double.isNaN(v.doubleValue())) {
                continue;
            }
            double[] acc = byNode.computeIfAbsent(node, k -> new double[3]);
            if (n.name().equals("record-e2e-latency-avg")) {
                acc[0] += v.doubleValue();
                acc[1]++;
            } else if (n.name().equals("record-e2e-latency-max")) {
                acc[2] = Math.max(acc[2], v.doubleValue());
            }
        }
        StringBuilder line = new StringBuilder("      record age when read (avg / max):");
        byNode.forEach((node, acc) -> {
            if (acc[1] > 0) {
                line.append(String.format(" %s %.0f / %.0f ms;", node, acc[0] / acc[1], acc[2]));
            }
        });
        return line.append(System.lineSeparator()).toString();
    }

    private int threads() {
        return (int) Math.max(1, streams.metrics().keySet().stream()
                .filter(n -> n.group().equals(GROUP) && n.name().equals("commit-total")).count());
    }

    private double sum(String name) {
        return values(name).sum();
    }

    private double mean(String name) {
        return values(name).average().orElse(0);
    }

    private double max(String name) {
        return values(name).max().orElse(0);
    }

    private DoubleStream values(String name) {
        Map<MetricName, ? extends Metric> metrics = streams.metrics();
        return metrics.entrySet().stream()
                .filter(e -> e.getKey().group().equals(GROUP) && e.getKey().name().equals(name))
                .map(e -> e.getValue().metricValue())
                .filter(v -> v instanceof Number n && !Double.isNaN(n.doubleValue()))
                .mapToDouble(v -> ((Number) v).doubleValue());
    }
}
