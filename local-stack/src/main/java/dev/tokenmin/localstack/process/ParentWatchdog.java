package dev.tokenmin.localstack.process;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;

/**
 * Ends a child process when the process that started it goes away, however it went (Ctrl-C, a crash,
 * {@code kill -9}), so the local stack never leaves orphans behind.
 *
 * <p>The parent holds the write end of the child's standard input; when the parent dies the kernel closes it and
 * the child reads end-of-file. This class runs in the child as a Java agent ({@code -javaagent}), so it also guards
 * programs whose {@code main} the project does not own, such as the Kafka broker and Apicurio Registry. A child then
 * exits normally (its shutdown hooks run); if that takes longer than {@value #HALT_AFTER_MILLIS} ms it halts.
 */
public final class ParentWatchdog {

    static final long HALT_AFTER_MILLIS = 20_000;

    private ParentWatchdog() {
    }

    /** Agent entry point: called by the JVM before the child's own {@code main}. */
    public static void premain(String args, Instrumentation instrumentation) {
        start();
    }

    private static volatile boolean shuttingDown;

    /** Starts the watchdog thread; safe to call from a {@code main} as well. */
    public static void start() {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> shuttingDown = true));
        Thread watcher = Thread.ofPlatform().daemon().name("parent-watchdog").unstarted(ParentWatchdog::watch);
        watcher.start();
    }

    private static void watch() {
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // The parent never writes; anything read is ignored.
            }
        } catch (IOException e) {
            // A broken pipe means the same as end-of-file: the parent is gone.
        }
        if (shuttingDown) {
            return; // Stopping for another reason; the JVM closes stdin on its way out.
        }
        System.err.println("[parent-watchdog] parent process gone (stdin closed): shutting down");
        Thread halter = Thread.ofPlatform().daemon().name("parent-watchdog-halt").unstarted(() -> {
            try {
                Thread.sleep(HALT_AFTER_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Runtime.getRuntime().halt(1);
        });
        halter.start();
        System.exit(0);
    }
}
