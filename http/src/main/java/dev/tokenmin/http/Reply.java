package dev.tokenmin.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenmin.schemas.validation.InvalidUsageException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A response to send: status, content type, headers and body. Errors are JSON objects with an {@code error}
 * message, and for invalid input an {@code errors} list naming each field at fault.
 *
 * @param status      the HTTP status
 * @param contentType the body's media type
 * @param body        the body
 * @param headers     further headers, as name and value pairs
 */
public record Reply(int status, String contentType, byte[] body, List<String[]> headers) {

    public static final ObjectMapper JSON = new ObjectMapper();

    public static ObjectNode object() {
        return JSON.createObjectNode();
    }

    public static Reply json(int status, ObjectNode body) {
        try {
            return new Reply(status, "application/json", JSON.writeValueAsBytes(body), new ArrayList<>());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Plain text in Prometheus' exposition format's media type, for {@code /metrics}. */
    public static Reply metrics(String body) {
        return new Reply(200, "text/plain; version=0.0.4; charset=utf-8", body.getBytes(StandardCharsets.UTF_8),
                new ArrayList<>());
    }

    public static Reply error(int status, String message) {
        return json(status, object().put("error", message));
    }

    /** 400, listing every field at fault; {@code what} says what was refused, e.g. "nothing was accepted". */
    public static Reply invalid(InvalidUsageException e, String what) {
        ObjectNode body = object().put("error", "invalid request: " + what);
        ArrayNode list = body.putArray("errors");
        e.errors().forEach(err -> list.addObject().put("field", err.field()).put("reason", err.reason()));
        return json(400, body);
    }

    public static Reply notAllowed(String allowed) {
        return error(405, "method not allowed; use " + allowed).header("Allow", allowed);
    }

    public Reply header(String name, String value) {
        headers.add(new String[] {name, value});
        return this;
    }

    public void send(Response response, Callback callback) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        headers.forEach(h -> response.getHeaders().put(h[0], h[1]));
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
