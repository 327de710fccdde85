package dev.berth.controller.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * The containerd namespace of a call, from the {@code containerd-namespace} header every containerd
 * client sends ({@code default} unless {@code ctr -n}). Calls without one are refused as containerd
 * refuses them, except for the services that containerd serves without a namespace (version,
 * introspection, namespaces, events). A namespace exists once a call names it, as containerd
 * creates namespaces on first use. Thread-safe.
 */
final class Namespaces implements ServerInterceptor {
    /** Every namespace a call has named since the server started: containerd makes them on first use. */
    private final java.util.Set<String> used = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static final Metadata.Key<String> HEADER = Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<String> CURRENT = Context.key("containerd-namespace");
    /** The lease a client works under ({@code containerd-lease}): what it writes is added to it. */
    static final Metadata.Key<String> LEASE_HEADER = Metadata.Key.of("containerd-lease", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<String> LEASE = Context.key("containerd-lease");

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
        if (ns != null && !ns.isEmpty()) {
            used.add(ns);
        }
        return Contexts.interceptCall(Context.current().withValues(CURRENT, ns, LEASE, headers.get(LEASE_HEADER)), call,
                headers, next);
    }

    /** The namespaces calls have used (a live view). */
    java.util.Set<String> used() {
        return java.util.Collections.unmodifiableSet(used);
    }

    /** Forgets a namespace known only from calls; whether it was known. */
    boolean forget(String ns) {
        return used.remove(ns);
    }

    static boolean valid(String ns) {
        return dev.berth.engine.namespaces.NamespaceStore.valid(ns);
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
