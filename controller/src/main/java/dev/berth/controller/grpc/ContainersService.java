package dev.berth.controller.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import dev.berth.api.containerd.services.containers.v1.Container;
import dev.berth.api.containerd.services.containers.v1.ContainersGrpc;
import dev.berth.api.containerd.services.containers.v1.CreateContainerRequest;
import dev.berth.api.containerd.services.containers.v1.CreateContainerResponse;
import dev.berth.api.containerd.services.containers.v1.DeleteContainerRequest;
import dev.berth.api.containerd.services.containers.v1.GetContainerRequest;
import dev.berth.api.containerd.services.containers.v1.GetContainerResponse;
import dev.berth.api.containerd.services.containers.v1.ListContainerMessage;
import dev.berth.api.containerd.services.containers.v1.ListContainersRequest;
import dev.berth.api.containerd.services.containers.v1.ListContainersResponse;
import dev.berth.api.containerd.services.containers.v1.UpdateContainerRequest;
import dev.berth.api.containerd.services.containers.v1.UpdateContainerResponse;
import dev.berth.engine.containers.ClientContainer;
import dev.berth.engine.containers.ContainerInfo;
import dev.berth.engine.containers.Containers;
import dev.berth.engine.errdefs.BerthException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * containerd's Containers service over the engine's containers service: every container record,
 * whoever made it (a Container object, {@code berth run}, or a client here), with its OCI spec (the
 * client's, or the bundle's config.json). Create records a client's container (its snapshot and
 * spec are the client's; no task until Tasks/Create); Update changes labels; Delete removes a
 * container whose task is not running. A Berth-made container deleted here is drift its reconciler
 * repairs; client-made ones are never adopted as declarative objects. Thread-safe.
 */
final class ContainersService extends ContainersGrpc.ContainersImplBase {
    /** containerd's identifier rule for container ids. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,75}[A-Za-z0-9])?");

    private final Containers containers;

    ContainersService(Containers containers) {
        this.containers = containers;
    }

    private static String namespace() {
        return Namespaces.current();
    }

    static Container proto(ContainerInfo c) {
        Container.Builder b = Container.newBuilder().setId(c.id()).putAllLabels(c.labels())
                .setRuntime(Container.Runtime.newBuilder().setName(c.runtime() == null ? Containers.RUNTIME : c.runtime()))
                .setCreatedAt(Protos.time(c.createdAt())).setUpdatedAt(Protos.time(c.updatedAt()));
        if (c.image() != null) {
            b.setImage(c.image());
        }
        if (c.snapshotter() != null) {
            b.setSnapshotter(c.snapshotter());
        }
        if (c.snapshotKey() != null) {
            b.setSnapshotKey(c.snapshotKey());
        }
        byte[] spec = null;
        String given = c.extensions().get(Containers.CLIENT_SPEC);
        if (given != null) {
            spec = given.getBytes(StandardCharsets.UTF_8);
        } else {
            try {
                spec = Files.readAllBytes(c.bundle().resolve("config.json"));
            } catch (IOException e) {
                // no task yet, or a bundle removed under us: listed without its spec
            }
        }
        if (spec != null) {
            b.setSpec(Any.newBuilder().setTypeUrl(TasksServices.SPEC_TYPE).setValue(ByteString.copyFrom(spec)));
        }
        return b.build();
    }

    private ContainerInfo find(String id) {
        return containers.find(namespace(), id).orElseThrow(() ->
                BerthException.notFound("container \"%s\" in namespace %s: not found", id, namespace()));
    }

    private List<Container> matching(ListContainersRequest request) {
        var keep = Filters.<Container>parse(request.getFiltersList(), c -> new Filters.Target(Map.of("id", c.getId(),
                "image", c.getImage(), "runtime.name", c.getRuntime().getName(), "snapshotter", c.getSnapshotter()),
                c.getLabelsMap()));
        return containers.list(namespace()).stream().map(ContainersService::proto).filter(keep).toList();
    }

    @Override
    public void get(GetContainerRequest request, StreamObserver<GetContainerResponse> out) {
        Errors.unary(out, () -> GetContainerResponse.newBuilder().setContainer(proto(find(request.getId()))).build());
    }

    @Override
    public void list(ListContainersRequest request, StreamObserver<ListContainersResponse> out) {
        Errors.unary(out, () -> ListContainersResponse.newBuilder().addAllContainers(matching(request)).build());
    }

    @Override
    public void listStream(ListContainersRequest request, StreamObserver<ListContainerMessage> out) {
        try {
            matching(request).forEach(c -> out.onNext(ListContainerMessage.newBuilder().setContainer(c).build()));
            out.onCompleted();
        } catch (RuntimeException e) {
            out.onError(Errors.toStatus(e));
        }
    }

    @Override
    public void create(CreateContainerRequest request, StreamObserver<CreateContainerResponse> out) {
        Errors.unary(out, () -> {
            Container c = request.getContainer();
            if (!ID.matcher(c.getId()).matches()) {
                throw BerthException.invalid("container id \"%s\": use 1-77 letters, digits, '.', '_' or '-', starting and "
                        + "ending with a letter or digit", c.getId());
            }
            if (!c.hasSpec()) {
                throw BerthException.invalid("container %s: spec is required (an OCI runtime spec)", c.getId());
            }
            if (!c.getSpec().getTypeUrl().equals(TasksServices.SPEC_TYPE)) {
                throw BerthException.invalid("container %s: spec type %s is not %s", c.getId(), c.getSpec().getTypeUrl(),
                        TasksServices.SPEC_TYPE);
            }
            String runtime = c.getRuntime().getName();
            if (!runtime.isEmpty() && !runtime.startsWith("io.containerd.runc.")) {
                throw BerthException.invalid("container %s: runtime %s is not served; Berth runs %s (runc or crun under "
                        + "conmon)", c.getId(), runtime, Containers.RUNTIME);
            }
            ContainerInfo info = containers.register(namespace(), c.getId(), new ClientContainer(c.getImage(),
                    c.getSnapshotter(), c.getSnapshotKey(), c.getSpec().getValue().toByteArray(), c.getLabelsMap()));
            return CreateContainerResponse.newBuilder().setContainer(proto(info)).build();
        });
    }

    @Override
    public void update(UpdateContainerRequest request, StreamObserver<UpdateContainerResponse> out) {
        Errors.unary(out, () -> {
            Container c = request.getContainer();
            ContainerInfo info = find(c.getId());
            List<String> paths = request.hasUpdateMask() ? request.getUpdateMask().getPathsList() : List.of("labels");
            Map<String, String> labels = new HashMap<>(info.labels());
            for (String p : paths) {
                if (p.equals("labels")) {
                    labels = new HashMap<>(c.getLabelsMap());
                } else if (p.startsWith("labels.")) {
                    String k = p.substring("labels.".length());
                    if (c.getLabelsMap().containsKey(k)) {
                        labels.put(k, c.getLabelsMap().get(k));
                    } else {
                        labels.remove(k);
                    }
                } else {
                    throw BerthException.invalid("update_mask: %s cannot be changed on Berth (labels and labels.KEY can)", p);
                }
            }
            return UpdateContainerResponse.newBuilder()
                    .setContainer(proto(containers.setLabels(namespace(), c.getId(), labels))).build();
        });
    }

    @Override
    public void delete(DeleteContainerRequest request, StreamObserver<Empty> out) {
        Errors.unary(out, () -> {
            ContainerInfo info = find(request.getId());
            var task = containers.task(namespace(), info.id());
            if (task.isPresent() && task.get().state().alive()) {
                throw BerthException.precondition("container %s has a %s task; kill and delete it first", info.id(),
                        task.get().state().text());
            }
            containers.teardown(namespace(), info.id(), Duration.ZERO);
            return Empty.getDefaultInstance();
        });
    }
}
