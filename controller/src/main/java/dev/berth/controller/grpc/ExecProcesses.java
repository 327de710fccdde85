package dev.berth.controller.grpc;

import com.google.protobuf.Any;
import dev.berth.api.containerd.v1.types.Process;
import dev.berth.api.containerd.v1.types.Status;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.runtime.ExecRequest;
import dev.berth.engine.runtime.ExecResult;
import dev.berth.engine.runtime.TaskRuntime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;

/**
 * containerd's exec processes (Tasks/Exec, Start, Wait, Get, DeleteProcess with an exec id) over the
 * runtime's exec: Exec records the client's process spec and FIFOs, Start runs it in the task (one
 * {@code runc exec}, on a thread of its own) and sends its output to the FIFOs when it ends, or, for
 * an exec on a terminal, starts it under a monitor of its own and streams it ({@link TerminalExec});
 * Wait answers with its exit. A stdin FIFO is copied into the process's stdin by a {@link StdinRelay},
 * as a task's is, and CloseIO ends it once what the client wrote is through (on a terminal, its
 * keystrokes go through the terminal's monitor). Processes live in memory: a daemon restart forgets them, as the exec'd
 * process of runtime exec does not outlive the call. Thread-safe.
 */
final class ExecProcesses {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ExecProcesses.class);
    /** How long an exec's end waits for the client to read its last output. */
    private static final java.time.Duration OUTPUT_GRACE = java.time.Duration.ofSeconds(5);
    /** The Any type URL containerd gives OCI process specs. */
    static final String PROCESS_TYPE = "types.containerd.io/opencontainers/runtime-spec/1/Process";

    /** An exec's end: its result and when it came. */
    record Exited(ExecResult result, Instant at) {
    }

    private record Exec(String container, String id, ExecRequest request, java.nio.file.Path stdin, String stdout,
            String stderr, java.util.concurrent.atomic.AtomicBoolean started, CompletableFuture<Exited> done,
            StdinSlot input, boolean terminal) {
    }

    /** The copy into an exec's stdin once it runs, and a CloseIO that came before it did. */
    private static final class StdinSlot {
        private StdinRelay relay;
        private boolean closeAsked;

        synchronized void set(StdinRelay r) {
            relay = r;
        }

        /** The relay to drain and close, or null: the exec has not started yet, and will close it when it does. */
        synchronized StdinRelay closeAsked() {
            closeAsked = true;
            return relay;
        }

        synchronized boolean wasCloseAsked() {
            return closeAsked;
        }

        synchronized void stop() {
            if (relay != null) {
                relay.stop();
            }
        }
    }

    private final TaskRuntime runtime;
    private final Map<String, Exec> execs = new ConcurrentHashMap<>();
    /** The started execs on a terminal ({@code tasks exec -t}), for ResizePty. */
    private final Map<String, TerminalExec> terminals = new ConcurrentHashMap<>();

    ExecProcesses(TaskRuntime runtime) {
        this.runtime = runtime;
    }

    private static String key(String ns, String container, String id) {
        return ns + "/" + container + "/" + id;
    }

    /**
     * Records exec {@code id} of {@code container} from the client's process spec, with the client's
     * stdin FIFO ({@code stdin}, empty for none); {@code terminal} for {@code tasks exec -t}.
     */
    void add(String ns, String container, String id, Any spec, String stdin, String stdout, String stderr,
            boolean terminal) {
        if (id.isEmpty()) {
            throw BerthException.invalid("exec_id: required (ctr tasks exec --exec-id ID)");
        }
        if (!spec.getTypeUrl().equals(PROCESS_TYPE)) {
            throw BerthException.invalid("spec: type %s is not an OCI process spec (%s)", spec.getTypeUrl(), PROCESS_TYPE);
        }
        JsonNode p = OciJson.MAPPER.readTree(spec.getValue().toByteArray());
        List<String> args = new ArrayList<>();
        p.path("args").forEach(a -> args.add(a.asText()));
        List<String> env = new ArrayList<>();
        p.path("env").forEach(e -> env.add(e.asText()));
        String cwd = p.path("cwd").asText("");
        ExecRequest req = new ExecRequest(args, env, cwd.isEmpty() ? null : cwd, null, ExecRequest.checkName(id));
        if (runtime.find(ns, container).filter(t -> t.state().alive()).isEmpty()) {
            throw BerthException.notFound("task %s: not running, so nothing can be exec'd in it", container);
        }
        java.nio.file.Path fifo = stdin.isEmpty() ? null : StdinRelay.fifoPath(stdin);
        Exec e = new Exec(container, id, req, fifo, stdout, stderr, new java.util.concurrent.atomic.AtomicBoolean(),
                new CompletableFuture<>(), new StdinSlot(), terminal);
        if (execs.putIfAbsent(key(ns, container, id), e) != null) {
            throw BerthException.alreadyExists("exec %s of task %s already exists", id, container);
        }
    }

    private Exec find(String ns, String container, String id) {
        Exec e = execs.get(key(ns, container, id));
        if (e == null) {
            throw BerthException.notFound("process %s of task %s: not found", id, container);
        }
        return e;
    }

    /** Starts a recorded exec; returns its pid as far as known (0: runc exec does not tell it). */
    int start(String ns, String container, String id) {
        Exec e = find(ns, container, id);
        if (!e.started().compareAndSet(false, true)) {
            throw BerthException.precondition("process %s of task %s was already started", id, container);
        }
        ClientFifos fifos = ClientFifos.open(ns, id, e.stdout(), e.stderr());
        if (e.terminal()) {
            TerminalExec t;
            try {
                t = TerminalExec.start(runtime, ns, container, e.request(), e.stdin(), fifos, e.done());
            } catch (RuntimeException x) {
                e.done().complete(new Exited(new ExecResult(255, "", ""), Instant.now()));
                throw x;
            }
            terminals.put(key(ns, container, id), t);
            if (t.input() != null) {
                // CloseIO of a terminal exec ends its keystrokes as it ends a plain exec's stdin
                e.input().set(t.input());
                if (e.input().wasCloseAsked()) {
                    t.input().closeWhenDrained();
                }
            }
            return (int) t.pid();
        }
        Thread t = new Thread(() -> {
            try (fifos) {
                ExecResult r = e.stdin() == null ? runtime.exec(ns, container, e.request())
                        : runtime.exec(ns, container, e.request(), in -> relay(e, ns, in));
                e.input().stop();
                fifos.write(false, r.stdout());
                fifos.write(true, r.stderr());
                // the client's readers have the output before it hears of the exit (it cancels
                // readers it has not opened yet once it deletes the process)
                Instant exited = Instant.now();
                fifos.finish(ClientFifos.STALL, OUTPUT_GRACE);
                e.done().complete(new Exited(r, exited));
            } catch (RuntimeException x) {
                e.input().stop();
                fifos.write(true, "berth: exec " + id + ": " + x.getMessage() + "\n");
                e.done().complete(new Exited(new ExecResult(255, "", ""), Instant.now()));
            }
        }, "berth-exec-" + id);
        t.setDaemon(true);
        t.start();
        return 0;
    }

    private static void relay(Exec e, String ns, dev.berth.engine.runtime.TaskInput in) {
        StdinRelay r;
        try {
            r = StdinRelay.start(e.stdin(), in, "exec " + ns + "/" + e.container() + "/" + e.id());
        } catch (RuntimeException x) {
            // the process runs on with its stdin at end of file (start closed it)
            LOG.warn("exec {} of task {}/{}: {}", e.id(), ns, e.container(), x.getMessage());
            return;
        }
        e.input().set(r);
        if (e.input().wasCloseAsked()) {
            r.closeWhenDrained();
        }
    }

    /**
     * Tasks/CloseIO of an exec's stdin: ends it once what the client wrote is through (at once when
     * it has none); before the exec runs, it ends as soon as it does.
     */
    void closeStdin(String ns, String container, String id) {
        StdinRelay r = find(ns, container, id).input().closeAsked();
        if (r != null) {
            r.closeWhenDrained();
        }
    }

    /** Signals a running exec (ctr tasks kill --exec-id); NOT_FOUND once it has ended or before it runs. */
    void kill(String ns, String container, String id, int signal) {
        Exec e = find(ns, container, id);
        if (!e.started().get() || e.done().isDone()) {
            throw BerthException.notFound("process %s of task %s is not running (%s)", id, container,
                    e.started().get() ? "it has exited" : "it was not started");
        }
        runtime.killExec(ns, container, id, signal);
    }

    /** Resizes the terminal of a started exec on one; FAILED_PRECONDITION for an exec without one. */
    void resize(String ns, String container, String id, int width, int height) {
        find(ns, container, id);
        TerminalExec t = terminals.get(key(ns, container, id));
        if (t == null) {
            throw BerthException.precondition("process %s of task %s has no terminal to resize (%s)", id, container,
                    execs.get(key(ns, container, id)).terminal() ? "it was not started" : "it runs without one");
        }
        t.resize(width, height);
    }

    /** The exec's exit, completing when it has exited. */
    CompletableFuture<Exited> exit(String ns, String container, String id) {
        return find(ns, container, id).done();
    }

    Process process(String ns, String container, String id) {
        Exec e = find(ns, container, id);
        Process.Builder b = Process.newBuilder().setContainerId(container).setId(id);
        if (e.done().isDone()) {
            Exited x = e.done().join();
            b.setStatus(Status.STOPPED).setExitStatus(x.result().exitCode()).setExitedAt(Protos.time(x.at()));
        } else {
            b.setStatus(e.started().get() ? Status.RUNNING : Status.CREATED);
        }
        return b.build();
    }

    /** Forgets a stopped (or never started) exec; FAILED_PRECONDITION while it runs. */
    Process delete(String ns, String container, String id) {
        Exec e = find(ns, container, id);
        if (e.started().get() && !e.done().isDone()) {
            throw BerthException.precondition("process %s of task %s is still running", id, container);
        }
        Process p = process(ns, container, id);
        execs.remove(key(ns, container, id));
        TerminalExec t = terminals.remove(key(ns, container, id));
        if (t != null) {
            t.stop();
        }
        return p;
    }

    /** Forgets every exec of a task (its deletion). */
    void forget(String ns, String container) {
        execs.entrySet().removeIf(x -> {
            boolean of = x.getKey().startsWith(ns + "/" + container + "/");
            if (of) {
                x.getValue().input().stop();
            }
            return of;
        });
        terminals.entrySet().removeIf(t -> {
            boolean of = t.getKey().startsWith(ns + "/" + container + "/");
            if (of) {
                t.getValue().stop();
            }
            return of;
        });
    }
}
