package dev.berth.controller.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.regex.Pattern;

/**
 * The containerd namespace of a call, from the {@code containerd-namespace} header every containerd
 * client sends ({@code default} unless {@code ctr -n}). Calls without one are refused as containerd
 * refuses them, except for the services that containerd serves without a namespace (version,
 * introspection, namespaces, events). Thread-safe.
 */
final class Namespaces implements ServerInterceptor {
    static final Metadata.Key<String> HEADER = Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<String> CURRENT = Context.key("containerd-namespace");
    /** The lease a client works under ({@code containerd-lease}): what it writes is added to it. */
    static final Metadata.Key<String> LEASE_HEADER = Metadata.Key.of("containerd-lease", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<String> LEASE = Context.key("containerd-lease");
    /** containerd's namespace name rule (a DNS-label-like identifier). */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9]+(?:[._-](?:[A-Za-z0-9]+))*");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String ns = headers.get(HEADER);
        String service = call.getMethodDescriptor().getServiceName();
        boolean global = service != null && (service.startsWith("containerd.services.version.")
                || service.startsWith("containerd.services.introspection.")
                || service.startsWith("containerd.services.namespaces.")
                || service.startsWith("containerd.services.events."));
        if (ns == null || ns.isEmpty()) {
            if (!global) {
                call.close(Status.FAILED_PRECONDITION.withDescription(
                        "namespace is required: send the containerd-namespace header (ctr -n NAME)"), new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
        } else if (!valid(ns)) {
            call.close(Status.INVALID_ARGUMENT.withDescription("namespace \"" + ns
                    + "\" is invalid: use letters and digits, separated by single '.', '_' or '-'"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        return Contexts.interceptCall(Context.current().withValues(CURRENT, ns, LEASE, headers.get(LEASE_HEADER)), call,
                headers, next);
    }

    static boolean valid(String ns) {
        return ns.length() <= 76 && NAME.matcher(ns).matches();
    }

    /** The lease named by the current call, or null. */
    static String lease() {
        String l = LEASE.get();
        return l == null || l.isEmpty() ? null : l;
    }

    /** The namespace of the current call (null for the global services called without one). */
    static String current() {
        return CURRENT.get();
    }
}
