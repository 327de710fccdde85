package dev.berth.engine.runtime.conmon;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.sys.Processes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The OCI runtime's command line (runc, or crun which accepts the same commands), with one state
 * root per namespace as containerd uses ({@code --root <state>/runc/<namespace>}). Stateless apart
 * from its settings; thread-safe.
 */
final class OciRuntimeCli {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final String binary;
    private final Path rootBase;
    private final boolean systemd;
    private final AtomicLong stateForks = new AtomicLong();

    OciRuntimeCli(String binary, Path rootBase, boolean systemd) {
        this.binary = binary;
        this.rootBase = rootBase;
        this.systemd = systemd;
    }

    String binary() {
        return binary;
    }

    Path root(String namespace) {
        return rootBase.resolve(namespace);
    }

    /** The global flags that precede every subcommand; conmon gets them as --runtime-arg. */
    List<String> globalArgs(String namespace) {
        List<String> a = new ArrayList<>();
        a.add("--root=" + root(namespace));
        if (systemd) {
            a.add("--systemd-cgroup");
        }
        return a;
    }

    private List<String> cmd(String namespace, String... rest) {
        List<String> c = new ArrayList<>();
        c.add(binary);
        c.addAll(globalArgs(namespace));
        c.addAll(List.of(rest));
        return c;
    }

    /** runc's view of a container. */
    record State(TaskState state, long pid) {
    }

    /** The runtime's state of the container, empty when it does not know it. */
    Optional<State> state(String namespace, String id) {
        return described(namespace, id).map(Described::state);
    }

    /** runc's view of a container with the bundle it was created from. */
    record Described(State state, String bundle) {
    }

    /** {@link #state} with the container's bundle directory. */
    Optional<Described> described(String namespace, String id) {
        stateForks.incrementAndGet();
        Processes.Result r = Processes.run(cmd(namespace, "state", id), null, TIMEOUT);
        if (!r.ok()) {
            if (notFound(r)) {
                return Optional.empty();
            }
            throw failure("state", namespace, id, r);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = OciJson.MAPPER.readValue(r.stdout(), Map.class);
        Object pid = m.get("pid");
        Object bundle = m.get("bundle");
        return Optional.of(new Described(new State(TaskState.parse((String) m.get("status")),
                pid instanceof Number n ? n.longValue() : 0), bundle instanceof String b ? b : null));
    }

    /** How many times {@link #state} has run the runtime, for tests and measurements. */
    long stateForks() {
        return stateForks.get();
    }

    void start(String namespace, String id) {
        check("start", namespace, id, Processes.run(cmd(namespace, "start", id), null, TIMEOUT));
    }

    void kill(String namespace, String id, int signal, boolean all) {
        Processes.Result r = all
                ? Processes.run(cmd(namespace, "kill", "--all", id, Integer.toString(signal)), null, TIMEOUT)
                : Processes.run(cmd(namespace, "kill", id, Integer.toString(signal)), null, TIMEOUT);
        if (!r.ok()) {
            String msg = r.message().toLowerCase(Locale.ROOT);
            if (notFound(r) || msg.contains("not running") || msg.contains("already finished")
                    || msg.contains("no such process")) {
                throw BerthException.notFound("task %s/%s: process already finished", namespace, id);
            }
            throw failure("kill", namespace, id, r);
        }
    }

    void delete(String namespace, String id, boolean force) {
        Processes.Result r = force ? Processes.run(cmd(namespace, "delete", "--force", id), null, TIMEOUT)
                : Processes.run(cmd(namespace, "delete", id), null, TIMEOUT);
        if (!r.ok() && !notFound(r)) {
            throw failure("delete", namespace, id, r);
        }
    }

    void pause(String namespace, String id) {
        check("pause", namespace, id, Processes.run(cmd(namespace, "pause", id), null, TIMEOUT));
    }

    void resume(String namespace, String id) {
        check("resume", namespace, id, Processes.run(cmd(namespace, "resume", id), null, TIMEOUT));
    }

    void update(String namespace, String id, Path resourcesJson) {
        check("update", namespace, id,
                Processes.run(cmd(namespace, "update", "--resources", resourcesJson.toString(), id), null, TIMEOUT));
    }

    /**
     * Runs {@code runc exec --process <json>}; its exit status is the process's (128+signal on a
     * signal). runc hands the process its own stdin, which {@code stdin} writes and closes (null:
     * closed at once).
     */
    Processes.Result exec(String namespace, String id, Path processJson, Path pidFile, Duration timeout,
            java.util.function.Consumer<java.io.OutputStream> stdin) {
        List<String> argv = pidFile == null
                ? cmd(namespace, "exec", "--process", processJson.toString(), id)
                : cmd(namespace, "exec", "--process", processJson.toString(), "--pid-file", pidFile.toString(), id);
        return stdin == null ? Processes.run(argv, null, timeout) : Processes.runFeeding(argv, stdin, timeout);
    }

    private static boolean notFound(Processes.Result r) {
        String m = r.message().toLowerCase(Locale.ROOT);
        return m.contains("does not exist") || m.contains("not found") || m.contains("no such file");
    }

    private void check(String op, String namespace, String id, Processes.Result r) {
        if (!r.ok()) {
            if (notFound(r)) {
                throw BerthException.notFound("task %s/%s does not exist in %s", namespace, id, binary);
            }
            throw failure(op, namespace, id, r);
        }
    }

    private BerthException failure(String op, String namespace, String id, Processes.Result r) {
        return new BerthException(ErrorCategory.FAILED_PRECONDITION,
                binary + " " + op + " of task " + namespace + "/" + id + " failed (exit " + r.exitCode() + "): "
                        + r.message());
    }
}
