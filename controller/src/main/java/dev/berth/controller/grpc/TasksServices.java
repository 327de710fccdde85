package dev.berth.controller.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.berth.api.containerd.services.containers.v1.Container;
import dev.berth.api.containerd.services.containers.v1.ContainersGrpc;
import dev.berth.api.containerd.services.containers.v1.GetContainerRequest;
import dev.berth.api.containerd.services.containers.v1.GetContainerResponse;
import dev.berth.api.containerd.services.containers.v1.ListContainerMessage;
import dev.berth.api.containerd.services.containers.v1.ListContainersRequest;
import dev.berth.api.containerd.services.containers.v1.ListContainersResponse;
import dev.berth.api.containerd.services.tasks.v1.GetRequest;
import dev.berth.api.containerd.services.tasks.v1.GetResponse;
import dev.berth.api.containerd.services.tasks.v1.ListTasksRequest;
import dev.berth.api.containerd.services.tasks.v1.ListTasksResponse;
import dev.berth.api.containerd.services.tasks.v1.TasksGrpc;
import dev.berth.api.containerd.v1.types.Process;
import dev.berth.api.containerd.v1.types.Status;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TaskStatus;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * containerd's Tasks and Containers services, read side, over Berth's runtime: every task in the
 * call's namespace is a container with one task (its init process), whether a reconciler or
 * {@code berth run} made it. The container's spec is the OCI spec in its bundle. Thread-safe.
 */
final class TasksServices {
    /** The Any type URL containerd gives OCI runtime specs. */
    static final String SPEC_TYPE = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
    /** What clients see as the runtime: runc's OCI semantics (Berth runs it under conmon). */
    static final String RUNTIME = "io.containerd.runc.v2";

    private final TaskRuntime runtime;

    TasksServices(TaskRuntime runtime) {
        this.runtime = runtime;
    }

    List<io.grpc.BindableService> services() {
        return List.of(new Tasks(), new Containers());
    }

    private static String namespace() {
        return Namespaces.current();
    }

    static Status status(TaskStatus t) {
        return switch (t.state()) {
            case CREATED -> Status.CREATED;
            case RUNNING -> Status.RUNNING;
            case PAUSED -> Status.PAUSED;
            case STOPPED -> Status.STOPPED;
            case UNKNOWN -> Status.UNKNOWN;
        };
    }

    static Process process(TaskStatus t) {
        Process.Builder b = Process.newBuilder().setContainerId(t.id()).setId(t.id()).setPid((int) t.pid()).setStatus(status(t));
        if (t.exitCode() != null) {
            b.setExitStatus(t.exitCode());
        }
        if (t.exitedAt() != null) {
            b.setExitedAt(Protos.time(t.exitedAt()));
        }
        return b.build();
    }

    static Container container(TaskStatus t) {
        Container.Builder b = Container.newBuilder().setId(t.id())
                .setRuntime(Container.Runtime.newBuilder().setName(RUNTIME)).setCreatedAt(Protos.time(t.createdAt()))
                .setUpdatedAt(Protos.time(t.createdAt()));
        if (t.bundle() != null) {
            try {
                byte[] spec = Files.readAllBytes(Path.of(t.bundle(), "config.json"));
                b.setSpec(Any.newBuilder().setTypeUrl(SPEC_TYPE).setValue(ByteString.copyFrom(spec)));
            } catch (IOException e) {
                // a bundle removed under us: the container is listed without its spec
            }
        }
        return b.build();
    }

    private TaskStatus find(String id) {
        return runtime.find(namespace(), id).orElseThrow(() ->
                BerthException.notFound("container \"%s\" in namespace %s: not found", id, namespace()));
    }

    private final class Tasks extends TasksGrpc.TasksImplBase {
        @Override
        public void list(ListTasksRequest request, StreamObserver<ListTasksResponse> out) {
            Errors.unary(out, () -> {
                var keep = Filters.<TaskStatus>parse(request.getFilter().isEmpty() ? List.of() : List.of(request.getFilter()),
                        t -> new Filters.Target(Map.of("id", t.id(), "status", t.state().text()), Map.of()));
                var b = ListTasksResponse.newBuilder();
                runtime.list(namespace()).stream().filter(keep).forEach(t -> b.addTasks(process(t)));
                return b.build();
            });
        }

        @Override
        public void get(GetRequest request, StreamObserver<GetResponse> out) {
            Errors.unary(out, () -> {
                if (!request.getExecId().isEmpty()) {
                    throw BerthException.notFound("process %s of task %s: not found", request.getExecId(), request.getContainerId());
                }
                return GetResponse.newBuilder().setProcess(process(find(request.getContainerId()))).build();
            });
        }
    }

    private final class Containers extends ContainersGrpc.ContainersImplBase {
        private List<Container> matching(ListContainersRequest request) {
            var keep = Filters.<Container>parse(request.getFiltersList(), c -> new Filters.Target(
                    Map.of("id", c.getId(), "image", c.getImage(), "runtime.name", c.getRuntime().getName()), c.getLabelsMap()));
            return runtime.list(namespace()).stream().map(TasksServices::container).filter(keep).toList();
        }

        @Override
        public void get(GetContainerRequest request, StreamObserver<GetContainerResponse> out) {
            Errors.unary(out, () -> GetContainerResponse.newBuilder().setContainer(container(find(request.getId()))).build());
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
    }
}
