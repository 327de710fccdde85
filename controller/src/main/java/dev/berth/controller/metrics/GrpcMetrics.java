package dev.berth.controller.metrics;

import dev.berth.controller.grpc.GrpcServer;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Locale;

/**
 * The gRPC server metrics containerd exports through go-grpc-prometheus, with its names, labels
 * ({@code grpc_type}, {@code grpc_service}, {@code grpc_method}, {@code grpc_code}) and types (help texts are Berth's):
 * {@code grpc_server_started_total}, {@code grpc_server_handled_total},
 * {@code grpc_server_msg_received_total}, {@code grpc_server_msg_sent_total}, and, when
 * {@code [metrics] grpc_histogram} is true, {@code grpc_server_handling_seconds} (Prometheus'
 * default buckets), as containerd's {@code EnableHandlingTimeHistogram}. Every method of the served
 * services starts at zero for every code, as go-grpc-prometheus's {@code Register} initialises them,
 * so {@code rate()} works from the first call. Thread-safe: one instance intercepts every call.
 */
public final class GrpcMetrics implements GrpcServer.CallObserver {
    /** Prometheus' {@code DefBuckets}, which go-grpc-prometheus's histogram uses. */
    private static final double[] BUCKETS = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};

    private final Counter started;
    private final Counter handled;
    private final Counter received;
    private final Counter sent;
    /** Null unless {@code grpc_histogram} is on. */
    private final Histogram handling;

    public GrpcMetrics(PrometheusRegistry registry, boolean histogram) {
        String[] labels = {"grpc_type", "grpc_service", "grpc_method"};
        started = Counter.builder().name("grpc_server_started_total").help("RPCs the gRPC server has begun handling")
                .labelNames(labels).withoutExemplars().register(registry);
        handled = Counter.builder().name("grpc_server_handled_total")
                .help("RPCs the gRPC server has finished, by status code (successful or not)")
                .labelNames("grpc_type", "grpc_service", "grpc_method", "grpc_code").withoutExemplars().register(registry);
        received = Counter.builder().name("grpc_server_msg_received_total")
                .help("Request messages the gRPC server has read (one per unary call, each one of a stream)").labelNames(labels)
                .withoutExemplars().register(registry);
        sent = Counter.builder().name("grpc_server_msg_sent_total")
                .help("Response messages the gRPC server has written (one per unary call, each one of a stream)").labelNames(labels)
                .withoutExemplars().register(registry);
        handling = !histogram ? null : Histogram.builder().name("grpc_server_handling_seconds")
                .help("Seconds from the start of an RPC to its status, per method")
                .labelNames(labels).classicOnly().classicUpperBounds(BUCKETS).withoutExemplars().register(registry);
    }

    /** Creates every series of {@code service}'s methods at zero (go-grpc-prometheus's {@code InitializeMetrics}). */
    @Override
    public void serving(ServerServiceDefinition service) {
        for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
            MethodDescriptor<?, ?> d = m.getMethodDescriptor();
            String type = type(d.getType());
            String svc = d.getServiceName();
            String method = d.getBareMethodName();
            started.labelValues(type, svc, method);
            received.labelValues(type, svc, method);
            sent.labelValues(type, svc, method);
            if (handling != null) {
                handling.labelValues(type, svc, method);
            }
            for (Status.Code c : Status.Code.values()) {
                handled.labelValues(type, svc, method, code(c));
            }
        }
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        MethodDescriptor<Q, R> d = call.getMethodDescriptor();
        String type = type(d.getType());
        String svc = d.getServiceName();
        String method = d.getBareMethodName();
        long begin = System.nanoTime();
        started.labelValues(type, svc, method).inc();
        ServerCall<Q, R> counted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendMessage(R message) {
                sent.labelValues(type, svc, method).inc();
                super.sendMessage(message);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                handled.labelValues(type, svc, method, code(status.getCode())).inc();
                if (handling != null) {
                    DistributionDataPoint h = handling.labelValues(type, svc, method);
                    h.observe((System.nanoTime() - begin) / 1e9);
                }
                super.close(status, trailers);
            }
        };
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(counted, headers)) {
            @Override
            public void onMessage(Q message) {
                received.labelValues(type, svc, method).inc();
                super.onMessage(message);
            }
        };
    }

    /** go-grpc-prometheus's {@code grpc_type} values. */
    static String type(MethodDescriptor.MethodType t) {
        return switch (t) {
            case UNARY -> "unary";
            case CLIENT_STREAMING -> "client_stream";
            case SERVER_STREAMING -> "server_stream";
            case BIDI_STREAMING -> "bidi_stream";
            case UNKNOWN -> "unknown";
        };
    }

    /** Go's {@code codes.Code.String()}: {@code OK}, {@code NotFound}, {@code Canceled} (one L), ... */
    static String code(Status.Code c) {
        if (c == Status.Code.OK) {
            return "OK";
        }
        if (c == Status.Code.CANCELLED) {
            return "Canceled";
        }
        StringBuilder b = new StringBuilder();
        for (String part : c.name().split("_")) {
            b.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
        }
        return b.toString();
    }
}
