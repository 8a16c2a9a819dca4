package dev.tokenmin.http;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.net.URI;

/**
 * A Jetty server for one of tokenmin's HTTP APIs: requests on virtual threads (handlers may block on a spool's
 * fsync or a forwarded query without holding a platform thread), no server version or date headers, a graceful
 * stop that lets requests in flight finish and closes idle keep-alive connections after 200 ms.
 */
public final class HttpEndpoint implements AutoCloseable {

    private final Server server;
    private final ServerConnector connector;
    private final String host;

    /**
     * @param name    names the threads, e.g. {@code sidecar}
     * @param host    the interface to listen on
     * @param port    the port, 0 for any free one
     * @param handler answers the requests
     */
    public HttpEndpoint(String name, String host, int port, Handler handler) {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName(name + "-http");
        threads.setVirtualThreadsExecutor(VirtualThreads.getNamedVirtualThreadsExecutor(name + "-request"));
        this.server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        this.connector = new ServerConnector(server, new HttpConnectionFactory(http));
        this.host = host;
        connector.setHost(host);
        connector.setPort(port);
        connector.setShutdownIdleTimeout(200);
        server.addConnector(connector);
        server.setHandler(new GracefulHandler(handler));
        server.setStopTimeout(5_000);
    }

    /** @throws IllegalStateException when the port cannot be bound */
    public HttpEndpoint start() {
        try {
            server.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot listen on " + host + ":" + connector.getPort() + ": "
                    + e.getMessage(), e);
        }
        return this;
    }

    public int port() {
        return connector.getLocalPort();
    }

    public URI uri() {
        return URI.create("http://" + host + ":" + port());
    }

    /** Stops taking requests and lets the ones in flight finish (at most 5 s). */
    @Override
    public void close() throws Exception {
        server.stop();
    }
}
