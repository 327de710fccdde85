package dev.berth.controller.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs every call's method, namespace, status and time from its headers to its close at DEBUG
 * (logger {@code dev.berth.controller.grpc.CallTimes}): where a client's command spends its time
 * on the server, e.g. {@code ctr run --rm} traced call by call. Costs one clock read per call when
 * the level is off. Thread-safe.
 */
final class CallTimes implements ServerInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(CallTimes.class);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!LOG.isDebugEnabled()) {
            return next.startCall(call, headers);
        }
        long t0 = System.nanoTime();
        String ns = headers.get(Namespaces.HEADER);
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                LOG.debug("{} ns={} {} {} us", call.getMethodDescriptor().getFullMethodName(), ns, status.getCode(),
                        (System.nanoTime() - t0) / 1000);
                super.close(status, trailers);
            }
        }, headers);
    }
}
