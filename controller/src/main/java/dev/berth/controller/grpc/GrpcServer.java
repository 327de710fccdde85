package dev.berth.controller.grpc;

import dev.berth.api.containerd.services.introspection.v1.Plugin;
import dev.berth.controller.api.StagedSocket;
import dev.berth.engine.content.ContentStore;
import dev.berth.engine.diff.Applier;
import dev.berth.engine.diff.WalkingDiffer;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.images.ImageStore;
import dev.berth.engine.leases.LeaseManager;
import dev.berth.engine.namespaces.NamespaceStore;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.snapshots.Snapshotter;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * containerd's gRPC API on a unix socket (plain HTTP/2, as containerd serves {@code containerd.sock}):
 * the services of this package over the engine. The socket gets mode 0660 before it is visible at
 * its path (bound in a private directory, then renamed), so there is no moment when it follows the
 * umask. Not thread-safe to start and close concurrently; the services themselves are thread-safe.
 */
public final class GrpcServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcServer.class);

    /** What the services stand on: the engine's interfaces, and the names of namespaces in use. */
    public record Parts(Path root, ContentStore content, ImageStore images, Function<String, Snapshotter> snapshotters,
            String defaultSnapshotter, List<String> snapshotterNames, Applier applier, LeaseManager leases,
            TaskRuntime runtime, dev.berth.engine.containers.Containers containers, EventBus bus,
            Supplier<Set<String>> namespaces, NamespaceStore namespaceStore, Function<String, String> inUse,
            String version, String revision) {
    }

    /**
     * Sees every call of every service (the daemon's gRPC metrics); told each service before the
     * server starts, so it can set its series up. Implementations are thread-safe.
     */
    public interface CallObserver extends ServerInterceptor {
        void serving(ServerServiceDefinition service);
    }

    /** A {@link CallObserver} that sees nothing. */
    public static final CallObserver NO_OBSERVER = new CallObserver() {
        @Override
        public void serving(ServerServiceDefinition service) {
        }

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            return next.startCall(call, headers);
        }
    };

    private final Path socket;
    private final Server server;
    private final EventLoopGroup loop;
    private final Events events;
    private final AutoCloseable exits;

    private GrpcServer(Path socket, Server server, EventLoopGroup loop, Events events, AutoCloseable exits) {
        this.socket = socket;
        this.server = server;
        this.loop = loop;
        this.events = events;
        this.exits = exits;
    }

    /**
     * Starts serving on {@code socket}, every call seen by {@code observer} (outermost, so it sees the
     * whole call); fails with the path and the reason when it cannot bind.
     */
    public static GrpcServer start(Path socket, int maxMessageBytes, Parts parts, Clock clock, CallObserver observer) {
        if (!Epoll.isAvailable()) {
            throw BerthException.unavailable("cannot serve the gRPC API on %s: netty's epoll transport is unavailable (%s)",
                    socket, Epoll.unavailabilityCause());
        }
        Events events = new Events(clock);
        Namespaces ns = new Namespaces();
        Supplier<Set<String>> namespaces = () -> {
            Set<String> all = new java.util.TreeSet<>(parts.namespaces().get());
            all.addAll(ns.used());
            return all;
        };
        List<BindableService> services = new ArrayList<>(new InspectServices(parts.version(), parts.revision(),
                parts.root(), plugins(parts), namespaces, n -> ns.used().contains(n), parts.namespaceStore(), parts.inUse(), ns::forget).services());
        services.add(events);
        services.add(new ImagesService(parts.images()));
        services.add(new ContentService(parts.content(), parts.leases()));
        services.add(new SnapshotsService(parts.snapshotters(), parts.defaultSnapshotter(), parts.leases()));
        services.add(new DiffService(parts.content(), parts.applier(), new WalkingDiffer(parts.content(), clock), parts.leases()));
        services.add(new LeasesService(parts.leases()));
        services.addAll(new TasksServices(parts.runtime(), parts.containers(), events).services());

        EventLoopGroup loop = new EpollEventLoopGroup(1);
        Server[] server = {null};
        try {
            StagedSocket.bind(socket, staged -> {
                NettyServerBuilder b = NettyServerBuilder.forAddress(new DomainSocketAddress(staged.toString()))
                        .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(loop)
                        .workerEventLoopGroup(loop).maxInboundMessageSize(maxMessageBytes)
                        .callExecutor(new CallExecutors())
                        // grpc-java asks every accepted channel for TCP keepalive, which a unix socket has
                        // not: netty warned once per connection (each ctr command). null drops the option.
                        .withChildOption(io.grpc.netty.shaded.io.netty.channel.ChannelOption.SO_KEEPALIVE, null);
                CallTimes times = new CallTimes();
                for (BindableService s : services) {
                    ServerServiceDefinition def = s.bindService();
                    observer.serving(def);
                    // the last interceptor runs first: the observer times the namespace check too
                    b.addService(ServerInterceptors.intercept(def, ns, times, observer));
                }
                server[0] = b.build().start();
            });
        } catch (Exception e) {
            if (server[0] != null) {
                server[0].shutdownNow();
            }
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw BerthException.unavailable("cannot serve the gRPC API on %s ([grpc] address): %s", socket, e.getMessage());
        }
        AutoCloseable fromEngine = parts.bus().subscribe(e -> EngineEvents.publish(events, e));
        LOG.info("containerd gRPC API on {}", socket);
        // task exits come through the engine's bus too (Engine.runtime() publishes /tasks/exit)
        AutoCloseable exits = fromEngine;
        return new GrpcServer(socket, server[0], loop, events, exits);
    }

    /** Berth's components, listed as containerd lists its plugins ({@code ctr plugins ls}). */
    private static List<Plugin> plugins(Parts p) {
        List<Plugin> out = new ArrayList<>();
        out.add(InspectServices.plugin("io.containerd.content.v1", "content", java.util.Map.of("root",
                p.root().resolve("content").toString())));
        for (String n : p.snapshotterNames()) {
            out.add(InspectServices.plugin("io.containerd.snapshotter.v1", n, java.util.Map.of("root",
                    p.root().resolve("snapshots").resolve(n).toString())));
        }
        out.add(InspectServices.plugin("io.containerd.metadata.v1", "sqlite", java.util.Map.of()));
        out.add(InspectServices.plugin("io.containerd.gc.v1", "scheduler", java.util.Map.of(), "io.containerd.metadata.v1"));
        out.add(InspectServices.plugin("io.containerd.runtime.v2", "task", java.util.Map.of("monitor", "conmon")));
        out.add(InspectServices.plugin("io.containerd.lease.v1", "manager", java.util.Map.of(), "io.containerd.metadata.v1"));
        for (String r : List.of("image", "snapshot", "container")) {
            out.add(InspectServices.plugin("dev.berth.reconciler.v1", r, java.util.Map.of()));
        }
        out.add(InspectServices.plugin("io.containerd.differ.v1", "walking", java.util.Map.of()));
        for (String s : List.of("content", "containers", "diff", "events", "images", "introspection", "leases", "namespaces",
                "snapshots", "tasks", "version")) {
            out.add(InspectServices.plugin("io.containerd.grpc.v1", s, java.util.Map.of()));
        }
        return out;
    }

    public Path socket() {
        return socket;
    }

    /** How many clients are subscribed to events now. */
    public int subscribers() {
        return events.subscriberCount();
    }

    @Override
    public void close() {
        try {
            exits.close();
        } catch (Exception e) {
            LOG.debug("closing the task exit listener: {}", e.toString());
        }
        events.closeAll();
        server.shutdown();
        try {
            if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", socket, e.getMessage());
        }
    }
}
