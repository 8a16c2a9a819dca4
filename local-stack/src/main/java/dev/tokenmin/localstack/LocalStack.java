package dev.tokenmin.localstack;

import dev.tokenmin.localstack.clickhouse.ClickHouseServer;
import dev.tokenmin.localstack.kafka.KafkaBroker;
import dev.tokenmin.localstack.registry.ApicurioRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The real services on this machine, each a child process on 127.0.0.1 and free ports: a Kafka 4.3 broker in
 * KRaft mode, Apicurio Registry with its Confluent-compatible API, and ClickHouse (libchdb behind ClickHouse's
 * HTTP interface). They start in parallel and are ready when {@link #start} returns; {@link #close()} (or the JVM's
 * shutdown, Ctrl-C included) stops them, and each child also exits on its own if this JVM dies.
 */
public final class LocalStack implements Stack {

    private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);

    /** One started service: what it is, where it listens, how long it took. */
    public record Service(String name, String endpoint, long pid, Path log, Duration startup) {

        /** Resident memory of the process now, in MiB, or -1 where /proc cannot tell. */
        public long residentMiB() {
            return residentMiB(pid);
        }

        /** Resident memory of process {@code pid} now, in MiB, or -1 where /proc cannot tell. */
        public static long residentMiB(long pid) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                    if (line.startsWith("VmRSS:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                    }
                }
            } catch (IOException | RuntimeException e) {
                return -1;
            }
            return -1;
        }
    }

    private final KafkaBroker kafka;
    private final ApicurioRegistry registry;
    private final ClickHouseServer clickHouse;
    private final List<Service> services;
    private final LocalStackConfig config;
    private final Thread shutdownHook;

    private LocalStack(KafkaBroker kafka, ApicurioRegistry registry, ClickHouseServer clickHouse,
                       List<Service> services, LocalStackConfig config) {
        this.config = config;
        this.kafka = kafka;
        this.registry = registry;
        this.clickHouse = clickHouse;
        this.services = List.copyOf(services);
        this.shutdownHook = Thread.ofPlatform().name("local-stack-shutdown").unstarted(this::stopAll);
        if (config.stopOnJvmExit()) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
    }

    /**
     * Starts all three services; if any fails, stops the others and throws a {@link ServiceStartException}
     * naming the service and its log.
     */
    public static LocalStack start(LocalStackConfig config) {
        return start(config, service -> { });
    }

    /**
     * The same, telling {@code ready} about each service as soon as it is ready (on the thread that started it),
     * for a caller that shows start-up progress.
     */
    public static LocalStack start(LocalStackConfig config, Consumer<Service> ready) {
        BuildInfo build = BuildInfo.load();
        Path work = config.workDir().toAbsolutePath();
        Duration timeout = config.startTimeout();
        try (ExecutorService starter = Executors.newThreadPerTaskExecutor(
                Thread.ofPlatform().name("local-stack-start-", 0).factory())) {
            Future<Timed<KafkaBroker>> kafka = starter.submit(() -> timed(
                    () -> KafkaBroker.start(work.resolve("kafka"), build, timeout),
                    (k, took) -> ready.accept(new Service(KafkaBroker.SERVICE, k.bootstrapServers(), k.pid(), k.log(),
                            took))));
            Future<Timed<ApicurioRegistry>> registry = starter.submit(() -> timed(
                    () -> ApicurioRegistry.start(work.resolve("registry"), build, timeout),
                    (r, took) -> ready.accept(new Service(ApicurioRegistry.SERVICE, r.ccompatUrl(), r.pid(), r.log(),
                            took))));
            Future<Timed<ClickHouseServer>> clickHouse = starter.submit(() -> timed(
                    () -> ClickHouseServer.start(work.resolve("clickhouse"), build, timeout),
                    (c, took) -> ready.accept(new Service(ClickHouseServer.SERVICE, c.url(), c.pid(), c.log(), took))));

            List<AutoCloseable> started = new ArrayList<>();
            List<RuntimeException> failures = new ArrayList<>();
            Timed<KafkaBroker> k = await(kafka, started, failures);
            Timed<ApicurioRegistry> r = await(registry, started, failures);
            Timed<ClickHouseServer> c = await(clickHouse, started, failures);
            if (!failures.isEmpty()) {
                for (AutoCloseable service : started) {
                    closeQuietly(service);
                }
                RuntimeException first = failures.getFirst();
                failures.stream().skip(1).forEach(first::addSuppressed);
                throw first;
            }
            List<Service> services = List.of(
                    new Service(KafkaBroker.SERVICE, k.value().bootstrapServers(), k.value().pid(), k.value().log(),
                            k.took()),
                    new Service(ApicurioRegistry.SERVICE, r.value().ccompatUrl(), r.value().pid(), r.value().log(),
                            r.took()),
                    new Service(ClickHouseServer.SERVICE, c.value().url(), c.value().pid(), c.value().log(),
                            c.took()));
            LocalStack stack = new LocalStack(k.value(), r.value(), c.value(), services, config);
            for (Service s : services) {
                LOG.info("{} ready at {} in {} ms (pid {}, log {})", s.name(), s.endpoint(), s.startup().toMillis(),
                        s.pid(), s.log());
            }
            return stack;
        }
    }

    @Override
    public StackEndpoints endpoints() {
        return new StackEndpoints(kafka.bootstrapServers(), registry.ccompatUrl(), clickHouse.url());
    }

    /** The services as they started: endpoints, process ids, logs and start-up times. */
    public List<Service> services() {
        return services;
    }

    /** The broker, for tests that kill and restart it. */
    public KafkaBroker kafka() {
        return kafka;
    }

    public ApicurioRegistry registry() {
        return registry;
    }

    /** The ClickHouse server, for tests that take it away and back. */
    public ClickHouseServer clickHouse() {
        return clickHouse;
    }

    @Override
    public void close() {
        try {
            if (config.stopOnJvmExit()) {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
        } catch (IllegalStateException e) {
            // The JVM is already shutting down; the hook runs stopAll itself.
        }
        stopAll();
    }

    private synchronized void stopAll() {
        closeQuietly(clickHouse);
        closeQuietly(registry);
        closeQuietly(kafka);
        if (config.deleteOnClose()) {
            Folders.deleteQuietly(config.workDir());
        }
    }

    private record Timed<T>(T value, Duration took) {
    }

    private static <T> Timed<T> timed(Supplier<T> start, BiConsumer<T, Duration> ready) {
        long t0 = System.nanoTime();
        T value = start.get();
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        ready.accept(value, took);
        return new Timed<>(value, took);
    }

    private static <T extends AutoCloseable> Timed<T> await(Future<Timed<T>> future, List<AutoCloseable> started,
                                                            List<RuntimeException> failures) {
        try {
            Timed<T> timed = future.get();
            started.add(timed.value());
            return timed;
        } catch (ExecutionException e) {
            failures.add(e.getCause() instanceof RuntimeException re ? re
                    : new IllegalStateException(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failures.add(new IllegalStateException("interrupted while starting the local stack", e));
        }
        return null;
    }

    private static void closeQuietly(AutoCloseable service) {
        try {
            service.close();
        } catch (Exception e) {
            LOG.warn("could not stop {}: {}", service.getClass().getSimpleName(), e.toString());
        }
    }
}
