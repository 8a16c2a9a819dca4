package dev.tokenmin.localstack.clickhouse;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One connection to the embedded ClickHouse engine. A connection keeps session state (the current database,
 * {@code SET} settings) between queries and runs one query at a time: callers use it from one thread at a time.
 * Several connections on the same data folder run queries in parallel.
 */
final class ChdbConnection implements AutoCloseable {

    /** What a query returned: its output in the requested format, or ClickHouse's error text. */
    record Result(byte[] data, String error, long rowsRead, long bytesRead, long rowsWritten, long bytesWritten,
                  double elapsedSeconds) {

        boolean failed() {
            return error != null;
        }

        static Result failure(String error) {
            return new Result(new byte[0], error, 0, 0, 0, 0, 0);
        }
    }

    private final ChdbLibrary lib;
    private final MemorySegment handle;     // chdb_connection* as returned by chdb_connect
    private final MemorySegment connection; // *handle, what the query functions take

    private ChdbConnection(ChdbLibrary lib, MemorySegment handle) {
        this.lib = lib;
        this.handle = handle.reinterpret(ADDRESS.byteSize());
        this.connection = this.handle.get(ADDRESS, 0);
    }

    /** Opens a connection on the data folder {@code dataDir} of the engine in {@code library}. */
    static ChdbConnection open(Path library, Path dataDir) {
        ChdbLibrary lib = ChdbLibrary.load(library);
        return new ChdbConnection(lib, lib.openConnection(List.of("--path=" + dataDir.toAbsolutePath())));
    }

    /** Runs {@code sql} (which may carry inline data) with its output in {@code format}. */
    Result query(String sql, String format) {
        return query(sql.getBytes(StandardCharsets.UTF_8), format, Map.of());
    }

    /** Runs {@code sql} with server-side query parameters ({@code {name:Type}} placeholders). */
    Result query(byte[] sql, String format, Map<String, String> parameters) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sqlSegment = arena.allocate(sql.length + 1L);
            MemorySegment.copy(sql, 0, sqlSegment, JAVA_BYTE, 0, sql.length);
            byte[] formatBytes = format.getBytes(StandardCharsets.UTF_8);
            MemorySegment formatSegment = arena.allocateFrom(format);
            MemorySegment result;
            if (parameters.isEmpty()) {
                result = (MemorySegment) lib.query.invokeExact(connection, sqlSegment, (long) sql.length,
                        formatSegment, (long) formatBytes.length);
            } else {
                int n = parameters.size();
                MemorySegment names = arena.allocate(ADDRESS, n);
                MemorySegment nameLengths = arena.allocate(JAVA_LONG, n);
                MemorySegment values = arena.allocate(ADDRESS, n);
                MemorySegment valueLengths = arena.allocate(JAVA_LONG, n);
                int i = 0;
                for (Map.Entry<String, String> p : parameters.entrySet()) {
                    byte[] name = p.getKey().getBytes(StandardCharsets.UTF_8);
                    byte[] value = p.getValue().getBytes(StandardCharsets.UTF_8);
                    names.setAtIndex(ADDRESS, i, copy(arena, name));
                    nameLengths.setAtIndex(JAVA_LONG, i, name.length);
                    values.setAtIndex(ADDRESS, i, copy(arena, value));
                    valueLengths.setAtIndex(JAVA_LONG, i, value.length);
                    i++;
                }
                result = (MemorySegment) lib.queryWithParams.invokeExact(connection, sqlSegment, (long) sql.length,
                        formatSegment, (long) formatBytes.length, names, nameLengths, values, valueLengths, (long) n);
            }
            return read(result);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("chdb query call failed", t);
        }
    }

    private static MemorySegment copy(Arena arena, byte[] bytes) {
        MemorySegment segment = arena.allocate(bytes.length + 1L);
        MemorySegment.copy(bytes, 0, segment, JAVA_BYTE, 0, bytes.length);
        return segment;
    }

    private Result read(MemorySegment result) throws Throwable {
        if (result.equals(MemorySegment.NULL)) {
            return Result.failure("Code: 1001. DB::Exception: the engine returned no result. (STD_EXCEPTION)");
        }
        try {
            MemorySegment error = (MemorySegment) lib.resultError.invokeExact(result);
            if (!error.equals(MemorySegment.NULL)) {
                return Result.failure(error.reinterpret(Long.MAX_VALUE).getString(0));
            }
            long length = (long) lib.resultLength.invokeExact(result);
            MemorySegment buffer = (MemorySegment) lib.resultBuffer.invokeExact(result);
            byte[] data = length == 0 || buffer.equals(MemorySegment.NULL)
                    ? new byte[0] : buffer.reinterpret(length).toArray(JAVA_BYTE);
            return new Result(data, null, (long) lib.rowsRead.invokeExact(result),
                    (long) lib.bytesRead.invokeExact(result), (long) lib.rowsWritten.invokeExact(result),
                    (long) lib.bytesWritten.invokeExact(result), (double) lib.elapsed.invokeExact(result));
        } finally {
            lib.destroyResult.invokeExact(result);
        }
    }

    @Override
    public void close() {
        try {
            lib.closeConnection.invokeExact(handle);
        } catch (Throwable t) {
            throw new IllegalStateException("chdb_close_conn failed", t);
        }
    }
}
