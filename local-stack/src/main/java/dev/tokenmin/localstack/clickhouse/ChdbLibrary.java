package dev.tokenmin.localstack.clickhouse;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The C API of libchdb (chdb.h, 26.5), bound with the Java FFM API. One library per process; it opens
 * {@link ChdbConnection}s on a data folder.
 *
 * <p>chDB installs its own handlers for crash signals (SIGSEGV, SIGBUS, ...) when it connects. The JVM relies on
 * those signals itself (implicit null checks, safepoints), so with chDB's handlers in place the JVM hangs or dies on
 * its first null check. This class turns chDB's handlers off and, to be sure, saves the JVM's handlers before each
 * connect and puts them back after.
 */
final class ChdbLibrary {

    // Linux x86_64 numbers: SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGUSR2, SIGTSTP, SIGSYS.
    private static final int[] JVM_SIGNALS = {3, 4, 5, 6, 7, 8, 11, 12, 20, 31};
    /** Larger than glibc's struct sigaction (152 bytes on x86_64), so saving one never overflows. */
    private static final long SIGACTION_BYTES = 256;

    private static ChdbLibrary loaded;

    final MethodHandle connect;
    final MethodHandle closeConnection;
    final MethodHandle query;
    final MethodHandle queryWithParams;
    final MethodHandle resultBuffer;
    final MethodHandle resultLength;
    final MethodHandle resultError;
    final MethodHandle rowsRead;
    final MethodHandle bytesRead;
    final MethodHandle rowsWritten;
    final MethodHandle bytesWritten;
    final MethodHandle elapsed;
    final MethodHandle destroyResult;
    private final MethodHandle setSignalHandlersEnabled;
    private final MethodHandle sigaction;

    private ChdbLibrary(Path library) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup lib = SymbolLookup.libraryLookup(library, Arena.global());
        connect = bind(linker, lib, "chdb_connect", FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS));
        closeConnection = bind(linker, lib, "chdb_close_conn", FunctionDescriptor.ofVoid(ADDRESS));
        query = bind(linker, lib, "chdb_query_n",
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));
        queryWithParams = bind(linker, lib, "chdb_query_with_params_n", FunctionDescriptor.of(ADDRESS,
                ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
        resultBuffer = bind(linker, lib, "chdb_result_buffer", FunctionDescriptor.of(ADDRESS, ADDRESS));
        resultLength = bind(linker, lib, "chdb_result_length", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        resultError = bind(linker, lib, "chdb_result_error", FunctionDescriptor.of(ADDRESS, ADDRESS));
        rowsRead = bind(linker, lib, "chdb_result_rows_read", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        bytesRead = bind(linker, lib, "chdb_result_bytes_read", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        rowsWritten = bind(linker, lib, "chdb_result_rows_written", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        bytesWritten = bind(linker, lib, "chdb_result_bytes_written", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        elapsed = bind(linker, lib, "chdb_result_elapsed", FunctionDescriptor.of(JAVA_DOUBLE, ADDRESS));
        destroyResult = bind(linker, lib, "chdb_destroy_query_result", FunctionDescriptor.ofVoid(ADDRESS));
        setSignalHandlersEnabled = bind(linker, lib, "chdb_set_signal_handlers_enabled",
                FunctionDescriptor.ofVoid(JAVA_INT));
        sigaction = linker.downcallHandle(linker.defaultLookup().find("sigaction").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    /** Loads libchdb from {@code library} once per process. */
    static synchronized ChdbLibrary load(Path library) {
        if (loaded == null) {
            loaded = new ChdbLibrary(library);
        }
        return loaded;
    }

    private static MethodHandle bind(Linker linker, SymbolLookup lib, String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = lib.find(name).orElseThrow(
                () -> new UnsatisfiedLinkError("libchdb has no symbol " + name + "; is it version 26.5?"));
        return linker.downcallHandle(symbol, descriptor);
    }

    /** Opens an engine connection with chDB's command-line style arguments, keeping the JVM's signal handlers. */
    MemorySegment openConnection(List<String> args) {
        try (Arena arena = Arena.ofConfined()) {
            List<String> argv = new ArrayList<>();
            argv.add("clickhouse");
            argv.addAll(args);
            MemorySegment argvSegment = arena.allocate(ADDRESS, argv.size() + 1L);
            for (int i = 0; i < argv.size(); i++) {
                argvSegment.setAtIndex(ADDRESS, i, arena.allocateFrom(argv.get(i)));
            }
            argvSegment.setAtIndex(ADDRESS, argv.size(), MemorySegment.NULL);

            MemorySegment[] saved = new MemorySegment[JVM_SIGNALS.length];
            for (int i = 0; i < JVM_SIGNALS.length; i++) {
                saved[i] = arena.allocate(SIGACTION_BYTES);
                check((int) sigaction.invokeExact(JVM_SIGNALS[i], MemorySegment.NULL, saved[i]), "save", JVM_SIGNALS[i]);
            }
            MemorySegment connection;
            try {
                setSignalHandlersEnabled.invokeExact(0);
                connection = (MemorySegment) connect.invokeExact(argv.size(), argvSegment);
            } finally {
                for (int i = 0; i < JVM_SIGNALS.length; i++) {
                    check((int) sigaction.invokeExact(JVM_SIGNALS[i], saved[i], MemorySegment.NULL), "restore",
                            JVM_SIGNALS[i]);
                }
            }
            if (connection.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("chdb_connect failed for " + args);
            }
            return connection;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("chdb_connect failed", t);
        }
    }

    private static void check(int rc, String what, int signal) {
        if (rc != 0) {
            throw new IllegalStateException("sigaction " + what + " failed for signal " + signal);
        }
    }
}
