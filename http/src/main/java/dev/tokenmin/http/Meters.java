package dev.tokenmin.http;

import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** The meter registry every tokenmin executable exposes on {@code /metrics}. */
public final class Meters {

    private Meters() {
    }

    /**
     * A Prometheus registry with {@code filters} configured and the JVM's memory, GC, thread, CPU and uptime meters
     * bound. Filters come first: Micrometer applies a filter only to meters registered after it, and warns when one is
     * added later.
     */
    public static PrometheusMeterRegistry prometheus(MeterFilter... filters) {
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        for (MeterFilter filter : filters) {
            meters.config().meterFilter(filter);
        }
        new JvmMemoryMetrics().bindTo(meters);
        new JvmGcMetrics().bindTo(meters);
        new JvmThreadMetrics().bindTo(meters);
        new ProcessorMetrics().bindTo(meters);
        new UptimeMetrics().bindTo(meters);
        return meters;
    }
}
