package dev.tokenmin.stream.app;

import java.io.IOException;
import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MonitorInfo;
import java.lang.management.ThreadInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Every thread's full stack and the locks it holds or waits for, written to a file: what an operator (or the next
 * engineer) needs to see why a client stalled, kept out of the log, which gets one line naming the file.
 * {@link ThreadInfo#toString()} would cut each stack at eight frames, so the frames are written here.
 */
final class ThreadDump {

    private static final DateTimeFormatter FILE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private ThreadDump() {
    }

    /**
     * Writes {@code <dir>/<prefix>-<time>.threads.txt}.
     *
     * @throws IOException when the folder or the file cannot be written
     */
    static Path write(Path dir, String prefix, Instant now) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(prefix + "-" + FILE_TIME.format(now) + ".threads.txt");
        Files.writeString(file, render());
        return file;
    }

    static String render() {
        StringBuilder out = new StringBuilder();
        for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            out.append('"').append(t.getThreadName()).append("\" #").append(t.getThreadId())
                    .append(t.isDaemon() ? " daemon" : "").append(' ').append(t.getThreadState());
            if (t.getLockName() != null) {
                out.append(" on ").append(t.getLockName());
            }
            if (t.getLockOwnerName() != null) {
                out.append(" owned by \"").append(t.getLockOwnerName()).append('"');
            }
            out.append('\n');
            StackTraceElement[] frames = t.getStackTrace();
            for (int i = 0; i < frames.length; i++) {
                out.append("\tat ").append(frames[i]).append('\n');
                for (MonitorInfo m : t.getLockedMonitors()) {
                    if (m.getLockedStackDepth() == i) {
                        out.append("\t- locked ").append(m).append('\n');
                    }
                }
            }
            for (LockInfo l : t.getLockedSynchronizers()) {
                out.append("\t- holds ").append(l).append('\n');
            }
            out.append('\n');
        }
        return out.toString();
    }
}
