package dev.berth.controller.grpc;

import com.google.protobuf.Empty;
import dev.berth.api.containerd.services.introspection.v1.IntrospectionGrpc;
import dev.berth.api.containerd.services.introspection.v1.Plugin;
import dev.berth.api.containerd.services.introspection.v1.PluginsRequest;
import dev.berth.api.containerd.services.introspection.v1.PluginsResponse;
import dev.berth.api.containerd.services.introspection.v1.ServerResponse;
import dev.berth.api.containerd.services.namespaces.v1.CreateNamespaceRequest;
import dev.berth.api.containerd.services.namespaces.v1.CreateNamespaceResponse;
import dev.berth.api.containerd.services.namespaces.v1.DeleteNamespaceRequest;
import dev.berth.api.containerd.services.namespaces.v1.GetNamespaceRequest;
import dev.berth.api.containerd.services.namespaces.v1.UpdateNamespaceRequest;
import dev.berth.api.containerd.services.namespaces.v1.UpdateNamespaceResponse;
import dev.berth.engine.namespaces.NamespaceStore;
import dev.berth.api.containerd.services.namespaces.v1.GetNamespaceResponse;
import dev.berth.api.containerd.services.namespaces.v1.ListNamespacesRequest;
import dev.berth.api.containerd.services.namespaces.v1.ListNamespacesResponse;
import dev.berth.api.containerd.services.namespaces.v1.Namespace;
import dev.berth.api.containerd.services.namespaces.v1.NamespacesGrpc;
import dev.berth.api.containerd.services.version.v1.VersionGrpc;
import dev.berth.api.containerd.services.version.v1.VersionResponse;
import dev.berth.api.containerd.types.Platform;
import io.grpc.BindableService;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The services a client calls to find out what it talks to: Version, Introspection (server UUID and
 * the plugins, i.e. Berth's components) and Namespaces (the ones in use and the ones created on
 * purpose, with their labels; a namespace that still holds tasks or objects cannot be deleted).
 * Thread-safe.
 */
final class InspectServices {
    /** containerd's default namespace; it always exists. */
    static final String DEFAULT_NAMESPACE = "default";

    private final String version;
    private final String revision;
    private final String uuid;
    private final List<Plugin> plugins;
    private final Supplier<Set<String>> namespaces;
    private final java.util.function.Predicate<String> named;
    private final NamespaceStore store;
    private final java.util.function.Function<String, String> inUse;
    private final java.util.function.Predicate<String> forget;

    /**
     * @param namespaces the namespaces in use without a record (objects, tasks, names calls used)
     * @param named whether a call has named a namespace: checked first, as it costs a set lookup where
     *     {@code namespaces} lists every task (ctr asks for its namespace twice per {@code ctr run})
     * @param inUse what a namespace still holds ("2 tasks"), or null when nothing
     * @param forget drops a namespace known only from calls; false when it was not known
     */
    InspectServices(String version, String revision, Path root, List<Plugin> plugins, Supplier<Set<String>> namespaces,
            java.util.function.Predicate<String> named, NamespaceStore store, java.util.function.Function<String, String> inUse,
            java.util.function.Predicate<String> forget) {
        this.version = version;
        this.revision = revision;
        this.uuid = uuid(root);
        this.plugins = plugins;
        this.namespaces = namespaces;
        this.named = named;
        this.store = store;
        this.inUse = inUse;
        this.forget = forget;
    }

    /** Whether {@code n} is a namespace: a call named it, it has a record, or something is in it. */
    private boolean known(String n) {
        return named.test(n) || store.find(n).isPresent() || namespaces.get().contains(n);
    }

    /** The server's UUID, made once per root and kept in {@code <root>/uuid}, as containerd keeps it. */
    static String uuid(Path root) {
        Path f = root.resolve("uuid");
        try {
            if (Files.isRegularFile(f)) {
                String s = Files.readString(f, StandardCharsets.US_ASCII).trim();
                if (!s.isEmpty()) {
                    return s;
                }
            }
            String u = UUID.randomUUID().toString();
            Path tmp = root.resolve(".uuid.tmp");
            Files.writeString(tmp, u + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return u;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read or write the server UUID in " + f, e);
        }
    }

    /** A plugin entry as containerd lists it: type, id, the platform it runs on, exports. */
    static Plugin plugin(String type, String id, Map<String, String> exports, String... requires) {
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> System.getProperty("os.arch");
        };
        return Plugin.newBuilder().setType(type).setId(id).addAllRequires(List.of(requires))
                .addPlatforms(Platform.newBuilder().setOs("linux").setArchitecture(arch)).putAllExports(exports).build();
    }

    List<BindableService> services() {
        return List.of(new Version(), new Introspection(), new NamespaceService());
    }

    private final class Version extends VersionGrpc.VersionImplBase {
        @Override
        public void version(Empty request, StreamObserver<VersionResponse> out) {
            Errors.unary(out, () -> VersionResponse.newBuilder().setVersion(version).setRevision(revision).build());
        }
    }

    private final class Introspection extends IntrospectionGrpc.IntrospectionImplBase {
        @Override
        public void server(Empty request, StreamObserver<ServerResponse> out) {
            Errors.unary(out, () -> ServerResponse.newBuilder().setUuid(uuid).build());
        }

        @Override
        public void plugins(PluginsRequest request, StreamObserver<PluginsResponse> out) {
            Errors.unary(out, () -> {
                var matches = request.getFiltersList().isEmpty() ? plugins
                        : plugins.stream().filter(p -> request.getFiltersList().stream().anyMatch(f -> PluginFilter.matches(f, p)))
                                .toList();
                return PluginsResponse.newBuilder().addAllPlugins(matches).build();
            });
        }
    }

    private final class NamespaceService extends NamespacesGrpc.NamespacesImplBase {
        private Namespace toProto(String name) {
            var b = Namespace.newBuilder().setName(name);
            store.find(name).ifPresent(r -> b.putAllLabels(r.labels()));
            return b.build();
        }

        @Override
        public void list(ListNamespacesRequest request, StreamObserver<ListNamespacesResponse> out) {
            Errors.unary(out, () -> {
                var b = ListNamespacesResponse.newBuilder();
                java.util.Map<String, Namespace> all = new java.util.TreeMap<>();
                namespaces.get().forEach(n -> all.put(n, Namespace.newBuilder().setName(n).build()));
                store.list().forEach(r -> all.put(r.name(), Namespace.newBuilder().setName(r.name())
                        .putAllLabels(r.labels()).build()));
                return b.addAllNamespaces(all.values()).build();
            });
        }

        @Override
        public void get(GetNamespaceRequest request, StreamObserver<GetNamespaceResponse> out) {
            Errors.unary(out, () -> {
                String n = request.getName();
                if (!known(n)) {
                    throw Status.NOT_FOUND.withDescription("namespace \"" + n + "\": not found").asRuntimeException();
                }
                return GetNamespaceResponse.newBuilder().setNamespace(toProto(n)).build();
            });
        }

        @Override
        public void create(CreateNamespaceRequest request, StreamObserver<CreateNamespaceResponse> out) {
            Errors.unary(out, () -> {
                String n = request.getNamespace().getName();
                if (namespaces.get().contains(n) && store.find(n).isEmpty() && inUse.apply(n) != null) {
                    throw Status.ALREADY_EXISTS.withDescription("namespace " + n + ": already exists").asRuntimeException();
                }
                store.create(n, request.getNamespace().getLabelsMap());
                return CreateNamespaceResponse.newBuilder().setNamespace(toProto(n)).build();
            });
        }

        @Override
        public void update(UpdateNamespaceRequest request, StreamObserver<UpdateNamespaceResponse> out) {
            Errors.unary(out, () -> {
                String n = request.getNamespace().getName();
                if (!known(n)) {
                    throw Status.NOT_FOUND.withDescription("namespace \"" + n + "\": not found").asRuntimeException();
                }
                store.update(n, request.getNamespace().getLabelsMap(), Set.copyOf(request.getUpdateMask().getPathsList()));
                return UpdateNamespaceResponse.newBuilder().setNamespace(toProto(n)).build();
            });
        }

        @Override
        public void delete(DeleteNamespaceRequest request, StreamObserver<Empty> out) {
            Errors.unary(out, () -> {
                String n = request.getName();
                String held = inUse.apply(n);
                if (held != null) {
                    throw Status.FAILED_PRECONDITION.withDescription("namespace " + n + " must be empty, but it still has "
                            + held + ": remove them first").asRuntimeException();
                }
                if (store.find(n).isPresent()) {
                    store.delete(n);
                } else if (!forget.test(n)) {
                    throw Status.NOT_FOUND.withDescription("namespace \"" + n + "\": not found").asRuntimeException();
                }
                return Empty.getDefaultInstance();
            });
        }
    }
}
