package dev.berth.controller.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs every call's method, namespace, status and two times at DEBUG (logger
 * {@code dev.berth.controller.grpc.CallTimes}): from its headers to its close, and from the end of
 * its request (the client's half-close, so the client's own pace of sending is not in it) to its
 * close, i.e. the server's own work for a unary call. Where a client's command spends its time on
 * the server, e.g. {@code ctr run --rm} traced call by call. Costs one clock read per call when the
 * level is off. Thread-safe.
 */
final class CallTimes implements ServerInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(CallTimes.class);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!LOG.isDebugEnabled()) {
            return next.startCall(call, headers);
        }
        long t0 = System.nanoTime();
        AtomicLong halfClosed = new AtomicLong(); // set on the call's executor, read where it closes
        String ns = headers.get(Namespaces.HEADER);
        ServerCall.Listener<Q> listener = next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                long now = System.nanoTime();
                long served = halfClosed.get() == 0 ? -1 : (now - halfClosed.get()) / 1000;
                LOG.debug("{} ns={} {} {} us (after the request {} us)", call.getMethodDescriptor().getFullMethodName(), ns,
                        status.getCode(), (now - t0) / 1000, served);
                super.close(status, trailers);
            }
        }, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onHalfClose() {
                halfClosed.set(System.nanoTime());
                super.onHalfClose();
            }
        };
    }
}
