package dev.berth.controller.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * Which thread runs a call's handler: the few calls a client makes many times per command and that
 * Berth answers from memory or with one short read (a namespace, an image or container record, a task's
 * state, a blob's info, a snapshot's stat or mounts, a wait that only registers for the exit) run on the
 * transport's event loop, where the request was read; every other call goes to the server's worker
 * pool, as before. Each hand-off to the pool and back costs two thread wake-ups, and {@code ctr run
 * --rm} makes ~45 calls: on a busy 2-core node that was ~1.5 ms of a 1.8 ms answer to a 0.3 ms call
 * (bench/RESULTS.md, "Where the rest of ctr run --rm goes"). Nothing listed here may block for
 * long, as it holds up every connection while it runs: Content/Read answers a small blob (a
 * manifest, a config) in place and hands a larger one to a thread of its own; calls that write the
 * stores, mount, or run runc stay on the pool. Stateless.
 */
final class CallExecutors implements ServerCallExecutorSupplier {
    /** The handlers run where the request was read. */
    static final Set<String> ON_EVENT_LOOP = Set.of(
            "containerd.services.version.v1.Version/Version",
            "containerd.services.namespaces.v1.Namespaces/Get",
            "containerd.services.images.v1.Images/Get",
            "containerd.services.containers.v1.Containers/Get",
            "containerd.services.content.v1.Content/Info",
            // small blobs only: a larger one streams from a thread of its own (ContentService.INLINE_READ_MAX)
            "containerd.services.content.v1.Content/Read",
            "containerd.services.snapshots.v1.Snapshots/Stat",
            "containerd.services.snapshots.v1.Snapshots/Mounts",
            "containerd.services.tasks.v1.Tasks/Get",
            "containerd.services.tasks.v1.Tasks/Wait");

    private static final Executor DIRECT = Runnable::run;

    @Override
    public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
        return ON_EVENT_LOOP.contains(call.getMethodDescriptor().getFullMethodName()) ? DIRECT : null;
    }
}
