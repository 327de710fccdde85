package dev.berth.controller.grpc;

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
import dev.berth.api.containerd.events.TaskPaused;
import dev.berth.api.containerd.events.TaskResumed;
import dev.berth.api.containerd.services.tasks.v1.DeleteResponse;
import dev.berth.api.containerd.services.tasks.v1.DeleteTaskRequest;
import dev.berth.api.containerd.services.tasks.v1.KillRequest;
import dev.berth.api.containerd.services.tasks.v1.PauseTaskRequest;
import dev.berth.api.containerd.services.tasks.v1.ResumeTaskRequest;
import dev.berth.api.containerd.services.tasks.v1.WaitRequest;
import dev.berth.api.containerd.services.tasks.v1.WaitResponse;
import dev.berth.api.containerd.services.tasks.v1.CheckpointTaskRequest;
import dev.berth.api.containerd.services.tasks.v1.CheckpointTaskResponse;
import dev.berth.api.containerd.services.tasks.v1.CloseIORequest;
import dev.berth.api.containerd.services.tasks.v1.ListPidsRequest;
import dev.berth.api.containerd.services.tasks.v1.ListPidsResponse;
import dev.berth.api.containerd.services.tasks.v1.MetricsRequest;
import dev.berth.api.containerd.services.tasks.v1.MetricsResponse;
import dev.berth.api.containerd.services.tasks.v1.ResizePtyRequest;
import dev.berth.api.containerd.services.tasks.v1.UpdateTaskRequest;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;

/**
 * containerd's Tasks service (and, through {@link ContainersService}, Containers) over the engine's
 * containers service and runtime: every container's task in the call's namespace, whoever made it.
 * A client's container (Containers/Create) gets its task here (Create with the client's rootfs
 * mounts and FIFOs, Start), its output copied to the FIFOs ({@link TaskOutput}), and exec processes
 * ({@link ExecProcesses}, which Kill with an exec id signals); Kill, Pause, Resume, Wait and Delete
 * work on every task, as do ListPids, Metrics, Update, CloseIO and ResizePty ({@link TaskControl});
 * Checkpoint is refused with UNIMPLEMENTED. A task a
 * reconciler keeps that a client kills or deletes is drift, which the reconciler repairs.
 * Thread-safe.
 */
final class TasksServices {
    /** The Any type URL containerd gives OCI runtime specs. */
    static final String SPEC_TYPE = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
    /** What clients see as the runtime: runc's OCI semantics (Berth runs it under conmon). */
    static final String RUNTIME = "io.containerd.runc.v2";

    private final TaskRuntime runtime;
    private final dev.berth.engine.containers.Containers containers;
    private final Events events;
    private final ExecProcesses execs;
    private final TaskControl control;
    /** Per client-made task ({@code ns/id}): the end of its output copy, which Wait answers after. */
    private final java.util.concurrent.ConcurrentMap<String, java.util.concurrent.CompletableFuture<Void>> outputs =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Per client-made task with a stdin FIFO ({@code ns/id}): the copy into the task's stdin. */
    private final java.util.concurrent.ConcurrentMap<String, StdinRelay> inputs = new java.util.concurrent.ConcurrentHashMap<>();

    TasksServices(TaskRuntime runtime, dev.berth.engine.containers.Containers containers, Events events) {
        this.runtime = runtime;
        this.containers = containers;
        this.events = events;
        this.execs = new ExecProcesses(runtime);
        this.control = new TaskControl(runtime, execs);
        resumeStdins();
    }

    /** The stdin copies of client-made tasks an earlier daemon left running (their stdin was kept open). */
    private void resumeStdins() {
        for (TaskStatus t : runtime.list(null)) {
            String what = "task " + t.namespace() + "/" + t.id();
            try {
                runtime.reattachStdin(t.namespace(), t.id()).ifPresent(r -> inputs.put(t.namespace() + "/" + t.id(),
                        StdinRelay.resume(r, what)));
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(TasksServices.class).warn("{}: its stdin is not resumed: {}", what,
                        e.getMessage());
            }
        }
    }

    List<io.grpc.BindableService> services() {
        return List.of(new Tasks(), new ContainersService(containers));
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
                    return GetResponse.newBuilder().setProcess(execs.process(namespace(), request.getContainerId(),
                            request.getExecId())).build();
                }
                return GetResponse.newBuilder().setProcess(process(find(request.getContainerId()))).build();
            });
        }

        @Override
        public void create(dev.berth.api.containerd.services.tasks.v1.CreateTaskRequest request,
                StreamObserver<dev.berth.api.containerd.services.tasks.v1.CreateTaskResponse> out) {
            Errors.unary(out, () -> {
                if (request.hasCheckpoint()) {
                    throw BerthException.invalid("checkpoint: restoring checkpoints is not served by Berth");
                }
                String ns = namespace();
                String id = request.getContainerId();
                java.nio.file.Path stdin = request.getStdin().isEmpty() ? null : StdinRelay.fifoPath(request.getStdin());
                ClientFifos fifos = ClientFifos.open(ns, id, request.getStdout(), request.getStderr());
                TaskStatus t;
                dev.berth.engine.runtime.TaskInput input = null;
                int stdinFd = -1;
                try {
                    t = containers.createTask(ns, id, Protos.engineMounts(request.getRootfsList()),
                            request.getTerminal() ? TaskRuntime.Stdin.TERMINAL
                                    : stdin == null ? TaskRuntime.Stdin.NULL : TaskRuntime.Stdin.PIPE);
                    if (stdin != null) {
                        stdinFd = StdinRelay.open(stdin);
                        input = runtime.openStdin(ns, id, stdin.toString(), stdinFd);
                    }
                } catch (RuntimeException e) {
                    if (stdinFd >= 0) {
                        dev.berth.engine.sys.Sys.close(stdinFd);
                    }
                    fifos.close();
                    throw e;
                }
                if (input != null) {
                    StdinRelay old = inputs.put(ns + "/" + id, StdinRelay.start(stdin, stdinFd, input, "task " + ns + "/" + id));
                    if (old != null) {
                        old.stop();
                    }
                }
                outputs.put(ns + "/" + id, TaskOutput.attach(runtime, ns, id, fifos, request.getTerminal()));
                return dev.berth.api.containerd.services.tasks.v1.CreateTaskResponse.newBuilder().setContainerId(id)
                        .setPid((int) t.pid()).build();
            });
        }

        @Override
        public void start(dev.berth.api.containerd.services.tasks.v1.StartRequest request,
                StreamObserver<dev.berth.api.containerd.services.tasks.v1.StartResponse> out) {
            Errors.unary(out, () -> {
                int pid = request.getExecId().isEmpty()
                        ? (int) containers.start(namespace(), find(request.getContainerId()).id()).pid()
                        : execs.start(namespace(), request.getContainerId(), request.getExecId());
                return dev.berth.api.containerd.services.tasks.v1.StartResponse.newBuilder().setPid(pid).build();
            });
        }

        @Override
        public void exec(dev.berth.api.containerd.services.tasks.v1.ExecProcessRequest request,
                StreamObserver<Empty> out) {
            Errors.unary(out, () -> {
                execs.add(namespace(), find(request.getContainerId()).id(), request.getExecId(), request.getSpec(),
                        request.getStdin(), request.getStdout(), request.getStderr(), request.getTerminal());
                return Empty.getDefaultInstance();
            });
        }

        @Override
        public void deleteProcess(dev.berth.api.containerd.services.tasks.v1.DeleteProcessRequest request,
                StreamObserver<DeleteResponse> out) {
            Errors.unary(out, () -> {
                Process p = execs.delete(namespace(), request.getContainerId(), request.getExecId());
                return DeleteResponse.newBuilder().setId(p.getId()).setExitStatus(p.getExitStatus())
                        .setExitedAt(p.getExitedAt()).build();
            });
        }

        @Override
        public void kill(KillRequest request, StreamObserver<Empty> out) {
            Errors.unary(out, () -> {
                int signal = request.getSignal() == 0 ? dev.berth.engine.runtime.Signals.SIGTERM : request.getSignal();
                if (!request.getExecId().isEmpty()) {
                    execs.kill(namespace(), find(request.getContainerId()).id(), request.getExecId(), signal);
                    return Empty.getDefaultInstance();
                }
                TaskStatus t = find(request.getContainerId());
                if (!t.state().alive()) {
                    throw BerthException.notFound("task %s: process already finished", t.id());
                }
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
                // through the containers service: /tasks/delete on the bus, a client's rootfs unmounted
                containers.deleteTask(namespace(), t.id(), false);
                execs.forget(namespace(), t.id());
                outputs.remove(namespace() + "/" + t.id());
                StdinRelay in = inputs.remove(namespace() + "/" + t.id());
                if (in != null) {
                    in.stop();
                }
                return DeleteResponse.newBuilder().setId(t.id()).setPid((int) t.pid())
                        .setExitStatus(t.exitCode() == null ? 0 : t.exitCode()).setExitedAt(Protos.time(t.exitedAt())).build();
            });
        }

        @Override
        public void listPids(ListPidsRequest request, StreamObserver<ListPidsResponse> out) {
            Errors.unary(out, () -> control.listPids(namespace(), request.getContainerId()));
        }

        @Override
        public void metrics(MetricsRequest request, StreamObserver<MetricsResponse> out) {
            Errors.unary(out, () -> control.metrics(namespace(), request));
        }

        @Override
        public void update(UpdateTaskRequest request, StreamObserver<Empty> out) {
            Errors.unary(out, () -> {
                control.update(namespace(), request);
                return Empty.getDefaultInstance();
            });
        }

        @Override
        public void closeIO(CloseIORequest request, StreamObserver<Empty> out) {
            Errors.unary(out, () -> {
                control.closeIO(namespace(), request);
                StdinRelay in = request.getExecId().isEmpty() && request.getStdin()
                        ? inputs.get(namespace() + "/" + request.getContainerId()) : null;
                if (in != null) {
                    in.closeWhenDrained();
                } else if (!request.getExecId().isEmpty() && request.getStdin()) {
                    execs.closeStdin(namespace(), request.getContainerId(), request.getExecId());
                }
                return Empty.getDefaultInstance();
            });
        }

        @Override
        public void resizePty(ResizePtyRequest request, StreamObserver<Empty> out) {
            Errors.unary(out, () -> {
                control.resizePty(namespace(), request);
                return Empty.getDefaultInstance();
            });
        }

        @Override
        public void checkpoint(CheckpointTaskRequest request, StreamObserver<CheckpointTaskResponse> out) {
            Errors.unary(out, () -> {
                throw TaskControl.checkpointRefused(find(request.getContainerId()).id());
            });
        }

        /** Replies when the task exits (at once when it has), without holding a thread while it runs. */
        @Override
        public void wait(WaitRequest request, StreamObserver<WaitResponse> out) {
            try {
                if (!request.getExecId().isEmpty()) {
                    String ens = namespace();
                    execs.exit(ens, request.getContainerId(), request.getExecId()).thenAccept(x -> {
                        out.onNext(WaitResponse.newBuilder().setExitStatus(x.result().exitCode())
                                .setExitedAt(Protos.time(x.at())).build());
                        out.onCompleted();
                    });
                    return;
                }
                String ns = namespace();
                String id = find(request.getContainerId()).id();
                java.util.concurrent.atomic.AtomicBoolean answered = new java.util.concurrent.atomic.AtomicBoolean();
                AutoCloseable[] listener = new AutoCloseable[1];
                Runnable answerIfExited = () -> runtime.find(ns, id).filter(t -> !t.state().alive()).ifPresent(t -> {
                    if (answered.compareAndSet(false, true)) {
                        closeQuietly(listener[0]);
                        // the client's output first (the copy ends on its own within seconds of the exit)
                        outputs.getOrDefault(ns + "/" + id, java.util.concurrent.CompletableFuture.completedFuture(null))
                                .completeOnTimeout(null, 30, java.util.concurrent.TimeUnit.SECONDS).thenRun(() -> {
                                    out.onNext(WaitResponse.newBuilder().setExitStatus(t.exitCode() == null ? 0 : t.exitCode())
                                            .setExitedAt(Protos.time(t.exitedAt())).build());
                                    out.onCompleted();
                                });
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
}
