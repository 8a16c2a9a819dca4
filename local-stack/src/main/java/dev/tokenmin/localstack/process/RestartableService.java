package dev.tokenmin.localstack.process;

/**
 * A service of the local stack that keeps its port and data across restarts, so fault tests can take it away
 * ({@link #kill()}, like {@code kill -9}) and bring it back ({@link #restart()}) while clients keep their address.
 */
public abstract class RestartableService implements AutoCloseable {

    private final String service;
    private ChildProcess process;

    protected RestartableService(String service) {
        this.service = service;
    }

    /** Starts the process and returns once it is ready; called by {@link #launch()} and {@link #restart()}. */
    protected abstract ChildProcess startProcess();

    /** Starts the service for the first time. */
    protected final void launch() {
        process = startProcess();
    }

    public final boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The process id, for tools that want to signal it. */
    public final long pid() {
        if (process == null) {
            throw new IllegalStateException(service + " has not been started");
        }
        return process.pid();
    }

    /** Kills the service at once, like {@code kill -9}: nothing is flushed, nothing shuts down cleanly. */
    public final void kill() {
        if (process != null) {
            process.kill();
        }
    }

    /** Starts the service again on the same port and data after {@link #kill()} or {@link #stop()}. */
    public final void restart() {
        if (isRunning()) {
            throw new IllegalStateException(service + " is still running (pid " + process.pid() + ")");
        }
        launch();
    }

    /** Stops the service cleanly, killing it if that takes too long. */
    public final void stop() {
        if (process != null) {
            process.close();
        }
    }

    @Override
    public final void close() {
        stop();
    }
}
