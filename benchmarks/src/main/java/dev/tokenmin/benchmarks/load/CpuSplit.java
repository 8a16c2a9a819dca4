package dev.tokenmin.benchmarks.load;

import dev.tokenmin.localstack.LocalStack;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.management.JMException;
import javax.management.ObjectName;

/**
 * Where the machine's CPU went during a stretch of load: the machine as a whole and what the hypervisor took (from
 * {@code /proc/stat}), each local-stack process (from {@code /proc/<pid>/stat}) and, in this JVM, each group of
 * threads (by name with digits replaced by {@code #}, so that the stream threads, the producers' network threads of
 * each client, the sinks and the load each add up), plus the time this JVM spent compiling and collecting (not Java
 * threads: the gap between the process and its threads). Answers "which part of the pipeline uses the two
 * cores at this rate", which a rate alone cannot. And, per process and per group of threads in this JVM, how long
 * they were runnable but waited for a core (the kernel's per-thread run delay, {@code
 * /proc/<pid>/task/<tid>/schedstat}): what tells a thread short of CPU from one waiting on Kafka or on I/O, which its
 * CPU figure alone cannot.
 */
final class CpuSplit {

    /** Clock ticks per second of /proc's CPU times ({@code getconf CLK_TCK}: 100 on Linux for decades). */
    private static final long TICKS_PER_SECOND = 100;

    /** Prefix of the snapshot's run-delay entries, printed after the CPU line of the same name. */
    private static final String WAITED = "waited for a core: ";

    /** A thread's header line in {@code Thread.print}: its name in quotes, then {@code #<java id> [<native id>]}. */
    private static final Pattern THREAD_LINE = Pattern.compile("^\"(.*)\" #\\d+ \\[(\\d+)\\]",
            Pattern.MULTILINE);

    private final List<LocalStack.Service> services;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    CpuSplit(List<LocalStack.Service> services) {
        this.services = services;
    }

    /** CPU time so far, nanoseconds, per part; and the run delay so far of each part it can tell. */
    Map<String, Long> snapshot() {
        Map<String, Long> cpu = new LinkedHashMap<>();
        long[] machine = machineTicks();
        if (machine != null) {
            cpu.put("the machine: all processes and the kernel (/proc/stat)", machine[0] * (1_000_000_000L
                    / TICKS_PER_SECOND));
            cpu.put("the machine: stolen by the hypervisor (/proc/stat)", machine[1] * (1_000_000_000L
                    / TICKS_PER_SECOND));
        }
        for (LocalStack.Service s : services) {
            cpu.put(s.name() + " (process)", processCpuNanos(s.pid()));
            cpu.put(WAITED + s.name() + " (process)", processRunDelayNanos(s.pid()));
        }
        cpu.put(WAITED + "this JVM, all threads (process)", processRunDelayNanos(ProcessHandle.current().pid()));
        Map<String, Long> groups = new HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            var info = threads.getThreadInfo(id);
            long nanos = threads.getThreadCpuTime(id);
            if (info != null && nanos > 0) {
                groups.merge(group(info.getThreadName()), nanos, Long::sum);
            }
        }
        cpu.putAll(groups);
        Path self = Path.of("/proc", String.valueOf(ProcessHandle.current().pid()), "task");
        for (Map.Entry<Long, String> t : nativeThreadNames().entrySet()) {
            long delay = runDelayNanos(self.resolve(String.valueOf(t.getKey())));
            if (delay >= 0) {
                cpu.merge(WAITED + group(t.getValue()), delay, Long::sum);
            }
        }
        cpu.put("this JVM, all threads (process)", processCpuNanos(ProcessHandle.current().pid()));
        // Not Java threads, so not above: the JIT compilers (their elapsed time) and the collectors' pauses.
        var jit = ManagementFactory.getCompilationMXBean();
        if (jit != null && jit.isCompilationTimeMonitoringSupported()) {
            cpu.put("this JVM: JIT compilation (elapsed)", jit.getTotalCompilationTime() * 1_000_000L);
        }
        long gc = 0;
        for (var collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            gc += Math.max(0, collector.getCollectionTime());
        }
        cpu.put("this JVM: garbage collection (elapsed)", gc * 1_000_000L);
        return cpu;
    }

    /**
     * One line per part that used at least 1% of a core between {@code before} and now, largest first, in cores and
     * CPU microseconds per event. Threads that ended in between are not counted (the process line includes them).
     */
    String since(Map<String, Long> before, double seconds, long events) {
        Map<String, Long> now = snapshot();
        List<Map.Entry<String, Long>> used = new ArrayList<>();
        for (Map.Entry<String, Long> e : now.entrySet()) {
            long delta = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (!e.getKey().startsWith(WAITED) && delta >= seconds * 1e7) {
                used.add(Map.entry(e.getKey(), delta));
            }
        }
        used.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Long> e : used) {
            out.append(String.format("      %5.2f cores  %,8.0f µs/event  %s", e.getValue() / 1e9 / seconds,
                    events == 0 ? 0 : e.getValue() / 1e3 / events, e.getKey()));
            Long waitedBefore = before.get(WAITED + e.getKey());
            Long waitedNow = now.get(WAITED + e.getKey());
            if (waitedBefore != null && waitedNow != null && waitedBefore >= 0 && waitedNow >= 0) {
                out.append(String.format("  (waited for a core: %.2f)", Math.max(0, waitedNow - waitedBefore)
                        / 1e9 / seconds));
            }
            out.append(System.lineSeparator());
        }
        return out.toString();
    }

    /** A thread's group: its name with each run of digits replaced by {@code #}. */
    static String group(String threadName) {
        return threadName.replaceAll("[0-9]+", "#");
    }

    /**
     * The machine's busy ticks (user, nice, system, irq, softirq) and stolen ticks since boot, from the first line of
     * {@code /proc/stat}, or null where it cannot tell.
     */
    static long[] machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                    + Long.parseLong(f[7]);
            return new long[] {busy, Long.parseLong(f[8])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * How long the live threads of process {@code pid} have been runnable but waited for a core, nanoseconds: the sum
     * of the second field of each {@code /proc/<pid>/task/<tid>/schedstat}, or -1 where /proc cannot tell. A thread
     * that ends takes its share with it, so a difference over a stretch can come out low, never high. It counts every
     * wake-up's wait for a core, so with many threads waking in bursts it can be well above the cores left idle.
     */
    static long processRunDelayNanos(long pid) {
        long sum = 0;
        try (var each = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path task : each.toList()) {
                sum += Math.max(0, runDelayNanos(task)); // -1: the thread ended since the listing
            }
            return sum;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** One thread's run delay so far ({@code <task>/schedstat}, second field), nanoseconds, or -1. */
    private static long runDelayNanos(Path task) {
        try {
            return Long.parseLong(Files.readString(task.resolve("schedstat")).trim().split("\\s+")[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * This JVM's live threads by native thread id, from HotSpot's {@code Thread.print} diagnostic command (the JDK
     * has no API from a Java thread to its Linux thread id; the dump's {@code "name" #n [tid]} line gives both), or
     * nothing where the command is not there.
     */
    private static Map<Long, String> nativeThreadNames() {
        Map<Long, String> names = new HashMap<>();
        try {
            String dump = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "threadPrint",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            Matcher m = THREAD_LINE.matcher(dump);
            while (m.find()) {
                names.put(Long.parseLong(m.group(2)), m.group(1));
            }
        } catch (JMException | RuntimeException e) {
            // no per-thread run delay then; the per-process figures stay
        }
        return names;
    }


    /** User + system CPU of process {@code pid}, nanoseconds, or -1 where /proc cannot tell. */
    static long processCpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            // Fields after the command (in parentheses, which may hold spaces): state is field 3, utime 14, stime 15.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return ticks * (1_000_000_000L / TICKS_PER_SECOND);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
