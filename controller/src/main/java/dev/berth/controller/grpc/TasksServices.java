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
import com.google.protobuf.Empty;
import dev.berth.api.containerd.events.TaskDelete;
import dev.berth.api.containerd.events.TaskPaused;
import dev.berth.api.containerd.events.TaskResumed;
import dev.berth.api.containerd.services.tasks.v1.DeleteResponse;
import dev.berth.api.containerd.services.tasks.v1.DeleteTaskRequest;
import dev.berth.api.containerd.services.tasks.v1.KillRequest;
import dev.berth.api.containerd.services.tasks.v1.PauseTaskRequest;
import dev.berth.api.containerd.services.tasks.v1.ResumeTaskRequest;
import dev.berth.api.containerd.services.tasks.v1.WaitRequest;
import dev.berth.api.containerd.services.tasks.v1.WaitResponse;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * containerd's Tasks and Containers services over Berth's runtime: every task in the call's
 * namespace is a container with one task (its init process), whether a reconciler or
 * {@code berth run} made it; the container's spec is the OCI spec in its bundle. Served: listing and
 * inspection, and on existing tasks Kill, Pause, Resume, Wait and Delete (of a stopped task). A task
 * a reconciler keeps that a client kills or deletes is drift, which the reconciler repairs.
 * Creating containers and tasks from a client's spec is not served yet. Thread-safe.
 */
final class TasksServices {
    /** The Any type URL containerd gives OCI runtime specs. */
    static final String SPEC_TYPE = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
    /** What clients see as the runtime: runc's OCI semantics (Berth runs it under conmon). */
    static final String RUNTIME = "io.containerd.runc.v2";

    private final TaskRuntime runtime;
    private final Events events;

    TasksServices(TaskRuntime runtime, Events events) {
        this.runtime = runtime;
        this.events = events;
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

        private void initOnly(String containerId, String execId) {
            if (!execId.isEmpty()) {
                throw BerthException.notFound("process %s of task %s: not found (exec processes are not served yet)",
                        execId, containerId);
            }
        }

        @Override
        public void kill(KillRequest request, StreamObserver<Empty> out) {
            Errors.unary(out, () -> {
                initOnly(request.getContainerId(), request.getExecId());
                TaskStatus t = find(request.getContainerId());
                if (!t.state().alive()) {
                    throw BerthException.notFound("task %s: process already finished", t.id());
                }
                int signal = request.getSignal() == 0 ? dev.berth.engine.runtime.Signals.SIGTERM : request.getSignal();
                runtime.kill(namespace(), t.id(), signal, request.getAll());
                return Empty.getDefaultInstance();
            });
        }

        @Override
        public void pause(PauseTaskRequest request, StreamObserver<Empty> out) {
            Errors.unary(out, () -> {
                runtime.pause(namespace(), find(request.getContainerId()).id());
                events.publish("/tasks/paused", TaskPaused.newBuilder().setContainerId(request.getContainerId()).build());
                return Empty.getDefaultInstance();
            });
        }

        @Override
        public void resume(ResumeTaskRequest request, StreamObserver<Empty> out) {
            Errors.unary(out, () -> {
                runtime.resume(namespace(), find(request.getContainerId()).id());
                events.publish("/tasks/resumed", TaskResumed.newBuilder().setContainerId(request.getContainerId()).build());
                return Empty.getDefaultInstance();
            });
        }

        @Override
        public void delete(DeleteTaskRequest request, StreamObserver<DeleteResponse> out) {
            Errors.unary(out, () -> {
                TaskStatus t = find(request.getContainerId());
                if (t.state().alive()) {
                    throw BerthException.precondition("task %s must be stopped before deletion: %s", t.id(), t.state().text());
                }
                runtime.delete(namespace(), t.id(), false);
                var d = DeleteResponse.newBuilder().setId(t.id()).setPid((int) t.pid())
                        .setExitStatus(t.exitCode() == null ? 0 : t.exitCode()).setExitedAt(Protos.time(t.exitedAt())).build();
                events.publish("/tasks/delete", TaskDelete.newBuilder().setContainerId(t.id()).setId(t.id()).setPid(d.getPid())
                        .setExitStatus(d.getExitStatus()).setExitedAt(d.getExitedAt()).build());
                return d;
            });
        }

        /** Replies when the task exits (at once when it has), without holding a thread while it runs. */
        @Override
        public void wait(WaitRequest request, StreamObserver<WaitResponse> out) {
            try {
                initOnly(request.getContainerId(), request.getExecId());
                String ns = namespace();
                String id = find(request.getContainerId()).id();
                java.util.concurrent.atomic.AtomicBoolean answered = new java.util.concurrent.atomic.AtomicBoolean();
                AutoCloseable[] listener = new AutoCloseable[1];
                Runnable answerIfExited = () -> runtime.find(ns, id).filter(t -> !t.state().alive()).ifPresent(t -> {
                    if (answered.compareAndSet(false, true)) {
                        out.onNext(WaitResponse.newBuilder().setExitStatus(t.exitCode() == null ? 0 : t.exitCode())
                                .setExitedAt(Protos.time(t.exitedAt())).build());
                        out.onCompleted();
                        closeQuietly(listener[0]);
                    }
                });
                listener[0] = runtime.onExit(x -> {
                    if (x.namespace().equals(ns) && x.id().equals(id)) {
                        answerIfExited.run();
                    }
                });
                io.grpc.Context.current().addListener(c -> closeQuietly(listener[0]), Runnable::run);
                // the exit may have come between the lookup and the listener
                answerIfExited.run();
            } catch (RuntimeException e) {
                out.onError(Errors.toStatus(e));
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // a listener that is already gone
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
