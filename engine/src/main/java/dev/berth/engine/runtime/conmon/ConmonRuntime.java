package dev.berth.engine.runtime.conmon;

import dev.berth.engine.cgroups.CgroupPaths;
import dev.berth.engine.cgroups.CgroupSampler;
import dev.berth.engine.cgroups.CgroupStats;
import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.runtime.ExecRequest;
import dev.berth.engine.runtime.ExecResult;
import dev.berth.engine.runtime.Signals;
import dev.berth.engine.runtime.TaskExit;
import dev.berth.engine.runtime.TaskInput;
import dev.berth.engine.runtime.TaskProcess;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TerminalProcess;
import dev.berth.engine.runtime.TaskSamples;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import dev.berth.engine.runtime.spec.SpecGenerator;
import dev.berth.engine.sys.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link TaskRuntime} with one conmon per container driving runc or crun. conmon creates the
 * container, copies its stdout/stderr into the CRI log, and writes the exit status to
 * {@code <state>/exits/<namespace>/<id>}; Berth starts, signals, pauses, execs and deletes through
 * the runtime's CLI. Opening adopts what an earlier Berth left: recorded tasks whose exit file
 * appeared meanwhile get their exit recorded, live ones are watched again. This class is the task
 * lifecycle only (about 500 lines: one short method per {@link TaskRuntime} verb, and the verbs
 * grew with the gRPC API: stdin, exec kills, updates); bundle files are {@link TaskBundles}', state
 * observation {@link TaskStates}', the remains of failed creates {@link FailedCreates}'. Thread-safe.
 */
public final class ConmonRuntime implements TaskRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(ConmonRuntime.class);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    private final RuntimeOptions options;
    private final TaskRecords records;
    private final OciRuntimeCli cli;
    private final CgroupPaths cgroupPaths;
    private final Cgroups cgroups;
    /** Keeps live tasks' cgroup files open between metrics scrapes. */
    private final CgroupSampler sampler;
    private final TaskStates states;
    private final FailedCreates failedCreates;
    private final TaskBundles bundles;
    private final Path exitsDir;
    private final Path socketsDir;
    private final boolean conmonRotates;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final ExitTracker exits;
    private final StoppedRemoval stoppedRemoval;

    private ConmonRuntime(RuntimeOptions options, MetadataStore metadata, Cgroups cgroups) {
        this.options = options;
        this.records = new TaskRecords(metadata);
        this.cgroupPaths = new CgroupPaths(options.systemdCgroup(), options.cgroupParent());
        this.cli = new OciRuntimeCli(options.runtimeBinary(), options.state().resolve("runc"), options.systemdCgroup());
        this.cgroups = cgroups;
        this.sampler = cgroups.sampler();
        this.bundles = new TaskBundles(options.state());
        this.exitsDir = options.state().resolve("exits");
        this.socketsDir = options.state().resolve("s");
        this.conmonRotates = Processes.run(List.of(options.conmonBinary(), "--help"), null, Duration.ofSeconds(10))
                .stdout().contains("--log-rotate");
        this.exits = new ExitTracker(records, cli, cgroups, options.clock(), exitsDir,
                r -> Path.of(r.bundle()));
        RuncStateFiles stateFiles = RuncStateFiles.understands(options.runtimeBinary())
                ? new RuncStateFiles(cgroups, Path.of("/proc")) : null;
        this.states = new TaskStates(records, exits, cli, stateFiles);
        this.stoppedRemoval = new StoppedRemoval(stateFiles, cgroups, options.systemdCgroup());
        this.failedCreates = new FailedCreates(cli, records, exits, cgroups);
    }

    /**
     * Opens the runtime: checks the cgroup driver, adopts the tasks an earlier run left (recording
     * exits that happened meanwhile before this returns) and starts watching exits.
     *
     * @param configSource names the config file in error messages
     */
    public static ConmonRuntime open(RuntimeOptions options, MetadataStore metadata, String configSource) {
        if (options.systemdCgroup()) {
            CgroupPaths.requireSystemd(Path.of("/proc"), Path.of("/run"), configSource);
        }
        ConmonRuntime r = new ConmonRuntime(options, metadata, Cgroups.host());
        r.exits.adoptAndStart();
        return r;
    }

    @Override
    public CgroupPaths cgroupPaths() {
        return cgroupPaths;
    }

    private static String key(String ns, String id) {
        return ns + "/" + id;
    }

    private Object lock(String ns, String id) {
        return locks.computeIfAbsent(key(ns, id), k -> new Object());
    }

    @Override
    public Path bundle(String ns, String id) {
        return bundles.path(ns, id);
    }

    private Path exitFile(String ns, String id) {
        return exits.exitFile(ns, id);
    }

    @Override
    public Path logPath(String ns, String id) {
        return options.logDir().resolve(ns).resolve(id + ".log");
    }

    private static void validate(String ns, String id) {
        if (ns == null || !ID.matcher(ns).matches()) {
            throw BerthException.invalid("namespace '%s' must match %s", ns, ID.pattern());
        }
        if (id == null || !ID.matcher(id).matches()) {
            throw BerthException.invalid("task id '%s' must match %s", id, ID.pattern());
        }
    }

    // ---- lifecycle ------------------------------------------------------------------------------

    @Override
    public AutoCloseable onExit(Consumer<TaskExit> listener) {
        return exits.onExit(listener);
    }

    @Override
    public TaskStatus create(String ns, String id, RuntimeSpec spec) {
        return create(ns, id, spec, Stdin.NULL);
    }

    @Override
    public TaskStatus create(String ns, String id, RuntimeSpec spec, Stdin stdin) {
        validate(ns, id);
        if (spec.root() == null || spec.root().path() == null) {
            throw BerthException.invalid("runtime spec of task %s/%s has no root.path", ns, id);
        }
        // the caller (the containers service) chose it; this runtime records it and never overrides it
        String cgroupsPath = spec.linux() == null ? null : spec.linux().cgroupsPath();
        if (cgroupsPath == null || cgroupsPath.isBlank()) {
            throw BerthException.invalid("runtime spec of task %s/%s has no linux.cgroupsPath; give it "
                    + "cgroupPaths().specPath(namespace, id), as Engine.containers() does", ns, id);
        }
        ConmonConsole.checkAgrees(ns + "/" + id, spec, stdin);
        String cgroup = CgroupPaths.toRelative(cgroupsPath);
        synchronized (lock(ns, id)) {
            Optional<TaskRecords.Row> existing = records.get(ns, id);
            if (existing.isPresent()) {
                throw BerthException.alreadyExists("task %s/%s already exists (%s); delete it first", ns, id,
                        states.status(existing.get()).state().text());
            }
            // runc keeps <root>/<id>/state.json per container: a file check instead of a runc exec
            if (Files.exists(cli.root(ns).resolve(id))) {
                failedCreates.removeLeftoverOrRefuse(ns, id, bundle(ns, id), cgroup);
            }
            Path bundle = bundles.prepare(ns, id, spec);
            Path log = logPath(ns, id);
            try {
                Files.createDirectories(log.getParent());
                Files.createDirectories(socketsDir);
                Files.createDirectories(cli.root(ns));
                Files.deleteIfExists(exits.watch(ns).resolve(id));
            } catch (IOException e) {
                throw BerthException.unavailable("cannot prepare the log and runtime directories of %s: %s", bundle,
                        e.getMessage());
            }
            TaskRecords.Row row = new TaskRecords.Row(ns, id, bundle.toString(), cli.binary(),
                    cgroup, log.toString(), 0, 0, options.clock().instant(), null, null,
                    null, false);
            if (!records.insert(row)) {
                throw BerthException.alreadyExists("task %s/%s already exists", ns, id);
            }
            long pid;
            try {
                pid = ConmonLauncher.launch(ConmonLauncher.args(options, cli, ns, id, bundle, log, exitsDir.resolve(ns), socketsDir, conmonRotates, stdin), ConmonLauncher.env(),
                        bundle.resolve("conmon.out"));
            } catch (BerthException e) {
                failedCreates.cleanup(ns, id, bundle, cgroup);
                throw e.wrap("creating task " + ns + "/" + id + " with " + cli.binary());
            }
            long monitorPid = TaskFiles.readPid(bundle.resolve("conmon.pid"));
            records.setPids(ns, id, pid, monitorPid);
            row = new TaskRecords.Row(ns, id, row.bundle(), row.runtime(), row.cgroupPath(), row.logPath(), pid,
                    monitorPid, row.createdAt(), null, null, null, false);
            exits.track(row);
            return TaskStates.toStatus(row, TaskState.CREATED, pid);
        }
    }

    @Override
    public TaskInput openStdin(String ns, String id) {
        return openStdin(ns, id, null, -1);
    }

    @Override
    public TaskInput openStdin(String ns, String id, String source, int sourceFd) {
        TaskRecords.Row r = row(ns, id);
        if (r.exitCode() != null) {
            throw BerthException.precondition("task %s/%s has exited (exit %d): no stdin to write to", ns, id, r.exitCode());
        }
        return ConmonStdin.attach(Path.of(r.bundle()), ns + "/" + id, source, sourceFd);
    }

    @Override
    public Optional<TaskInput.Reattached> reattachStdin(String ns, String id) {
        TaskRecords.Row r = row(ns, id);
        return ConmonStdin.reattach(Path.of(r.bundle()), ns + "/" + id, () -> states.status(r).state().alive());
    }

    @Override
    public void resizePty(String ns, String id, int width, int height) {
        TaskRecords.Row r = row(ns, id);
        Path bundle = Path.of(r.bundle());
        if (!ConmonConsole.hasTerminal(bundle)) {
            throw BerthException.precondition("task %s/%s has no terminal to resize (it was created without one)", ns, id);
        }
        if (r.exitCode() == null) {
            // an exited task's terminal is gone and its size matters to nobody: ctr resizes right after
            // Tasks/Start, often after a short command has ended, and containerd takes that quietly too
            ConmonConsole.resize(bundle, "task " + ns + "/" + id, width, height);
        }
    }

    private TaskRecords.Row row(String ns, String id) {
        validate(ns, id);
        return records.get(ns, id).orElseThrow(() -> BerthException.notFound("task %s/%s does not exist", ns, id));
    }

    @Override
    public TaskStatus start(String ns, String id) {
        synchronized (lock(ns, id)) {
            TaskRecords.Row r = row(ns, id);
            if (r.exitCode() != null) {
                throw BerthException.precondition("task %s/%s has stopped (exit %d); delete it and create it again",
                        ns, id, r.exitCode());
            }
            // the runtime refuses anything but a created container; no state call first on this hot path
            try {
                cli.start(ns, id);
            } catch (BerthException e) {
                if (e.category() == ErrorCategory.NOT_FOUND) {
                    throw e;
                }
                TaskStatus st = states.status(r);
                throw BerthException.precondition("task %s/%s is %s; only a created task can be started (%s)", ns, id,
                        st.state().text(), e.getMessage());
            }
            // no state read on this hot path: runc start succeeded, so the process was started
            return TaskStates.toStatus(r, TaskState.RUNNING, r.pid());
        }
    }

    @Override
    public TaskStatus state(String ns, String id) {
        return states.status(row(ns, id));
    }

    @Override
    public Optional<TaskStatus> find(String ns, String id) {
        validate(ns, id);
        return records.get(ns, id).map(states::status);
    }

    @Override
    public List<TaskStatus> list(String ns) {
        List<TaskStatus> out = new ArrayList<>();
        for (TaskRecords.Row r : records.list(ns)) {
            out.add(states.status(r));
        }
        return out;
    }

    /** How many times this runtime has forked {@code <runtime> state}; for tests and measurements. */
    long stateForks() {
        return cli.stateForks();
    }

    @Override
    public void kill(String ns, String id, int signal, boolean all) {
        TaskRecords.Row r = row(ns, id);
        if (r.exitCode() != null) {
            throw BerthException.notFound("task %s/%s: process already finished (exit %d)", ns, id, r.exitCode());
        }
        cli.kill(ns, id, signal, all);
    }

    @Override
    public TaskStatus waitForExit(String ns, String id, Duration timeout) {
        validate(ns, id);
        TaskRecords.Row done = exits.waitForExit(ns, id, timeout, true);
        return done != null ? TaskStates.toStatus(done, TaskState.STOPPED, 0) : state(ns, id);
    }

    @Override
    public TaskStatus stop(String ns, String id, Duration grace) {
        TaskStatus st = state(ns, id);
        if (!st.state().alive()) {
            return st;
        }
        if (st.state() == TaskState.PAUSED) {
            resume(ns, id);
        }
        int signal = TaskBundles.stopSignal(Path.of(st.bundle()));
        try {
            cli.kill(ns, id, signal, false);
            TaskRecords.Row done = exits.waitForExit(ns, id, grace, true);
            if (done != null) {
                return TaskStates.toStatus(done, TaskState.STOPPED, 0);
            }
            LOG.info("task {}/{} still running {} after signal {}; sending SIGKILL", ns, id, grace, signal);
            cli.kill(ns, id, Signals.SIGKILL, true);
        } catch (BerthException e) {
            if (e.category() != ErrorCategory.NOT_FOUND) {
                throw e;
            }
        }
        TaskRecords.Row done = exits.waitForExit(ns, id, Duration.ofSeconds(30), true);
        if (done == null) {
            throw new BerthException(ErrorCategory.DEADLINE_EXCEEDED, "task " + ns + "/" + id
                    + " did not exit within 30s of SIGKILL; check its processes (D state?)");
        }
        return TaskStates.toStatus(done, TaskState.STOPPED, 0);
    }

    @Override
    public void delete(String ns, String id, boolean force) {
        synchronized (lock(ns, id)) {
            TaskRecords.Row r = row(ns, id);
            TaskStatus st = states.status(r);
            if (st.state().alive() || st.state() == TaskState.UNKNOWN && TaskFiles.alive(r.monitorPid(), "conmon")) {
                if (!force) {
                    throw BerthException.precondition("task %s/%s is %s; stop it first (or delete with force)", ns, id,
                            st.state().text());
                }
                try {
                    if (st.state() == TaskState.PAUSED) {
                        cli.resume(ns, id);
                    }
                    cli.kill(ns, id, Signals.SIGKILL, true);
                } catch (BerthException e) {
                    LOG.debug("force kill of {}/{}: {}", ns, id, e.getMessage());
                }
                exits.waitForExit(ns, id, Duration.ofSeconds(10), true);
            }
            if (!stoppedRemoval.remove(r, cli.root(ns).resolve(id))) {
                cli.delete(ns, id, force);
            }
            long mon = r.monitorPid();
            if (TaskFiles.alive(mon, "conmon") && !waitGone(mon, Duration.ofSeconds(5))) {
                ProcessHandle.of(mon).ifPresent(ProcessHandle::destroyForcibly);
            }
            exits.forget(key(ns, id));
            try {
                Files.deleteIfExists(exitFile(ns, id));
                ConmonStdin.end(Path.of(r.bundle()));
                TaskBundles.remove(Path.of(r.bundle()));
            } catch (IOException e) {
                throw BerthException.unavailable("task %s/%s deleted but its bundle %s remains: %s", ns, id,
                        r.bundle(), e.getMessage());
            }
            failedCreates.removeCgroup(r.cgroupPath());
            records.delete(ns, id);
        }
        locks.remove(key(ns, id));
    }

    private static boolean waitGone(long pid, Duration d) {
        long deadline = System.nanoTime() + d.toNanos();
        while (TaskFiles.alive(pid, "conmon")) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    @Override
    public void pause(String ns, String id) {
        synchronized (lock(ns, id)) {
            requireState(ns, id, "paused", TaskState.RUNNING);
            cli.pause(ns, id);
        }
    }

    @Override
    public void resume(String ns, String id) {
        synchronized (lock(ns, id)) {
            requireState(ns, id, "resumed", TaskState.PAUSED);
            cli.resume(ns, id);
        }
    }

    private TaskStatus requireState(String ns, String id, String verb, TaskState... allowed) {
        TaskStatus st = state(ns, id);
        for (TaskState a : allowed) {
            if (st.state() == a) {
                return st;
            }
        }
        throw BerthException.precondition("task %s/%s is %s and cannot be %s", ns, id, st.state().text(), verb);
    }

    @Override
    public ExecResult exec(String ns, String id, ExecRequest request) {
        return exec(ns, id, request, null);
    }

    @Override
    public ExecResult exec(String ns, String id, ExecRequest request, Consumer<TaskInput> stdin) {
        TaskStatus st = requireState(ns, id, "exec'd into", TaskState.CREATED, TaskState.RUNNING);
        Path bundle = Path.of(st.bundle());
        try {
            RuntimeSpec.Process p = TaskBundles.spec(bundle).process();
            List<String> env = SpecGenerator.mergeEnv(p.env(), request.env());
            // the init's terminal is its own: this exec runs on pipes
            RuntimeSpec.Process ep = p.withArgs(request.args()).withEnv(env).withTerminal(null)
                    .withCwd(request.cwd() == null ? p.cwd() : request.cwd());
            Path pidFile = request.name() == null ? null : ExecPids.file(bundle, request.name());
            if (pidFile != null && Files.exists(pidFile)) {
                throw BerthException.alreadyExists("an exec named %s is already running in task %s/%s",
                        request.name(), ns, id);
            }
            Processes.Result r;
            try {
                r = TaskBundles.withJsonFile(bundle, "exec", ep, file -> cli.exec(ns, id, file, pidFile, request.timeout(),
                        stdin == null ? null : pipe -> stdin.accept(new ExecStdin(pipe, ns + "/" + id))));
            } finally {
                if (pidFile != null) {
                    Files.deleteIfExists(pidFile);
                }
            }
            return new ExecResult(r.exitCode(), r.stdout(), r.stderr());
        } catch (IOException e) {
            throw BerthException.unavailable("exec in task %s/%s: %s", ns, id, e.getMessage());
        }
    }

    @Override
    public TerminalProcess execOnTerminal(String ns, String id, ExecRequest request) {
        if (request.name() == null) {
            throw BerthException.invalid("an exec on a terminal needs a name (task %s/%s)", ns, id);
        }
        TaskStatus st = requireState(ns, id, "exec'd into", TaskState.CREATED, TaskState.RUNNING);
        Path bundle = Path.of(st.bundle());
        RuntimeSpec.Process p;
        try {
            p = TaskBundles.spec(bundle).process();
        } catch (IOException e) {
            throw BerthException.unavailable("exec in task %s/%s: %s", ns, id, e.getMessage());
        }
        RuntimeSpec.Process ep = p.withArgs(request.args()).withEnv(SpecGenerator.mergeEnv(p.env(), request.env()))
                .withCwd(request.cwd() == null ? p.cwd() : request.cwd());
        return ConmonTerminalExec.start(options, cli, socketsDir, ns, id, bundle, request.name(), ep);
    }

    @Override
    public List<TaskProcess> processes(String ns, String id) {
        TaskRecords.Row r = row(ns, id);
        Map<Long, String> named = ExecPids.named(Path.of(r.bundle()));
        return cgroups.procs(r.cgroupPath()).stream().map(p -> new TaskProcess(p, named.get(p))).toList();
    }

    @Override
    public void killExec(String ns, String id, String execName, int signal) {
        TaskRecords.Row r = row(ns, id);
        long pid = TaskFiles.readPid(ExecPids.file(Path.of(r.bundle()), ExecRequest.checkName(execName)));
        // the pid file goes only after runc returned: make sure the pid is still one of the task's
        if (pid <= 0 || !cgroups.procs(r.cgroupPath()).contains(pid)) {
            throw BerthException.notFound("exec %s of task %s/%s is not running", execName, ns, id);
        }
        dev.berth.engine.sys.Sys.kill(pid, signal);
    }

    @Override
    public void update(String ns, String id, Resources resources) {
        synchronized (lock(ns, id)) {
            TaskStatus st = requireState(ns, id, "updated", TaskState.CREATED, TaskState.RUNNING, TaskState.PAUSED);
            RuntimeSpec.LinuxResources lr = SpecGenerator.resources(resources);
            try {
                TaskBundles.withJsonFile(Path.of(st.bundle()), "update",
                        new RuntimeSpec.LinuxResources(null, lr.memory(), lr.cpu(), lr.pids()), file -> {
                            cli.update(ns, id, file);
                            return null;
                        });
            } catch (IOException e) {
                throw BerthException.unavailable("update of task %s/%s: %s", ns, id, e.getMessage());
            }
        }
    }

    @Override
    public CgroupStats stats(String ns, String id) {
        return cgroups.stats(row(ns, id).cgroupPath());
    }

    @Override
    public List<dev.berth.engine.cgroups.CgroupSample> samples(String ns, String id) {
        return cgroups.samples(row(ns, id).cgroupPath());
    }

    @Override
    public List<TaskSamples> sampleLive() {
        List<TaskRecords.Row> live = exits.live();
        List<TaskSamples> out = new ArrayList<>(live.size());
        Set<String> paths = new HashSet<>();
        synchronized (sampler) {
            for (TaskRecords.Row r : live) {
                paths.add(r.cgroupPath());
                List<dev.berth.engine.cgroups.CgroupSample> s = sampler.sample(r.cgroupPath());
                if (!s.isEmpty()) {
                    out.add(new TaskSamples(r.namespace(), r.id(), s));
                }
            }
            sampler.retain(paths);
        }
        return out;
    }

    @Override
    public Resources limits(String ns, String id) {
        return cgroups.limits(row(ns, id).cgroupPath());
    }

    @Override
    public void close() {
        exits.close();
        sampler.close();
    }
}
