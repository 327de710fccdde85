package dev.berth.controller.api;

import java.util.Map;

/**
 * What a local API handler answers: a status and a JSON body, or a stream of JSON lines (watch,
 * logs -f) written until the client goes away or the stream ends. Immutable.
 */
public record ApiResponse(int status, Object body, Streamer streamer) {

    /** Writes a stream; returns when the stream is complete. */
    @FunctionalInterface
    public interface Streamer {
        void stream(Sink sink) throws Exception;
    }

    /** Where a streamer writes; {@link #send} fails with an exception once the client has gone. */
    public interface Sink {
        void send(Object jsonLine) throws Exception;

        /** Raw text (for logs), flushed. */
        void sendText(String text) throws Exception;

        /** Raw bytes, flushed. */
        void sendBytes(byte[] b, int off, int len) throws Exception;
    }

    public static ApiResponse ok(Object body) {
        return new ApiResponse(200, body, null);
    }

    public static ApiResponse created(Object body) {
        return new ApiResponse(201, body, null);
    }

    public static ApiResponse stream(Streamer s) {
        return new ApiResponse(200, null, s);
    }

    /** A Kubernetes-style Status failure. */
    public static ApiResponse failure(int status, String reason, String message) {
        return new ApiResponse(status, Map.of("kind", "Status", "apiVersion", "v1", "status", "Failure",
                "reason", reason, "message", message, "code", status), null);
    }
}
