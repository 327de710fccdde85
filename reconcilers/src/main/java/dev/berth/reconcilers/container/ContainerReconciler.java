package dev.berth.reconcilers.container;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.container.DesiredState;
import dev.berth.crd.image.Image;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.engine.Engine;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.containers.ContainerInfo;
import dev.berth.engine.containers.Containers;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.reconcilers.Cleaner;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.ObjectLookup;
import dev.berth.reconcilers.Reconciler;
import dev.berth.reconcilers.Result;
import dev.berth.reconcilers.probe.NetnsDialer;
import dev.berth.reconcilers.probe.ProbeVerdict;
import dev.berth.reconcilers.probe.Prober;
import dev.berth.reconcilers.restart.CrashLoopBackOff;
import dev.berth.reconcilers.restart.RestartState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Keeps one runtime container (task + rootfs snapshot) per Container object, level-triggered: every
 * call observes the Image object, the persisted {@link ContainerRecord}, the task and the rootfs
 * mount, then takes the next steps. The runtime task is {@code <namespace>/<name>}; the rootfs is
 * the active snapshot {@code container/<namespace>/<name>} mounted at the task bundle's
 * {@code rootfs}.
 * <ul>
 *   <li>Waits for its Image ({@code Ready=False reason=WaitingForImage}, {@link Result#waitingFor}).</li>
 *   <li>Spec edits per {@link SpecChange}: resources → {@code runc update}; image digest, snapshotter
 *       or other fields → recreate (stop, delete, new snapshot); state → start/stop.</li>
 *   <li>Exits: restart per restartPolicy with {@link CrashLoopBackOff}; state persisted.</li>
 *   <li>Probes ({@link Prober}, on its own threads): readiness decides Ready, a failed liveness or
 *       startup probe stops the task, whose exit then restarts it as any crash.</li>
 *   <li>Drift: a vanished task is recreated, an unmounted rootfs remounted, a removed snapshot
 *       recreates the container, cgroup limits that differ from the spec are written back.</li>
 * </ul>
 * Thread-safe across objects (the dispatcher never runs two reconciles of one object at once).
 * Time decisions (backoff, status times) use the injected clock only; exits are timed when they are
 * observed, which with the daemon's exit-triggered reconciles is the moment they happen.
 */
public final class ContainerReconciler implements Reconciler<Container>, Cleaner<Container> {
    /** Reason of the exit caused by {@code spec.state: Stopped}; such an exit never counts as a crash. */
    static final String STOPPED = "Stopped";

    /**
     * Tunables. Immutable.
     *
     * @param stopGrace time between the stop signal and SIGKILL when stopping a task
     * @param backOff initial, max and reset durations of the crash-loop backoff (kubelet's by default)
     */
    public record Options(Duration stopGrace, Duration backOffInitial, Duration backOffMax, Duration backOffReset) {
        public static final Options DEFAULTS = new Options(Duration.ofSeconds(10), CrashLoopBackOff.INITIAL,
                CrashLoopBackOff.MAX, CrashLoopBackOff.RESET_AFTER);

        public Options withStopGrace(Duration d) {
            return new Options(d, backOffInitial, backOffMax, backOffReset);
        }
    }

    private final Engine engine;
    private final ObjectLookup lookup;
    private final EventSink events;
    private final Clock clock;
    private final Options options;
    private final CrashLoopBackOff backOff;
    private final ContainerStates states;
    private final ContainerTasks tasks;
    private final ContainerProbes probes;

    public ContainerReconciler(Engine engine, ObjectLookup lookup, EventSink events, Clock clock) {
        this(engine, lookup, events, clock, Options.DEFAULTS);
    }

    /** A reconciler whose probe results are seen at its next reconcile (nothing is enqueued). */
    public ContainerReconciler(Engine engine, ObjectLookup lookup, EventSink events, Clock clock, Options options) {
        this(engine, lookup, events, clock, options,
                new Prober(engine.runtime(), new NetnsDialer(), events, ref -> { }, 2));
    }

    /** A reconciler with {@code prober} running its Containers' probes. */
    public ContainerReconciler(Engine engine, ObjectLookup lookup, EventSink events, Clock clock, Options options,
            Prober prober) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.lookup = Objects.requireNonNull(lookup, "lookup");
        this.events = Objects.requireNonNull(events, "events");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.options = Objects.requireNonNull(options, "options");
        this.backOff = new CrashLoopBackOff(clock, options.backOffInitial(), options.backOffMax(),
                options.backOffReset());
        this.states = new ContainerStates(engine.containers());
        this.tasks = new ContainerTasks(engine, lookup, events, clock, options.stopGrace(), states);
        this.probes = new ContainerProbes(engine, Objects.requireNonNull(prober, "prober"));
    }

    @Override
    public Class<Container> kind() {
        return Container.class;
    }

    /** The snapshot key of a container's rootfs (the containers service's). */
    public static String snapshotKey(String namespace, String name) {
        return Containers.snapshotKey(namespace, name);
    }

    /** The persisted state (for {@code berth describe} and tests). */
    public Optional<ContainerRecord> record(String namespace, String name) {
        return states.get(namespace, name);
    }

    private ImageTarget target(Image image) {
        String snapshotter = image.getSpec().unpack() != null && image.getSpec().unpack().snapshotter() != null
                ? image.getSpec().unpack().snapshotter() : engine.snapshotter().name();
        String platform = image.getStatus().getPlatform();
        return new ImageTarget(Reference.parse(image.getSpec().ref()).toString(), image.getStatus().getDigest(),
                snapshotter, platform == null || platform.isEmpty() ? null : platform);
    }

    @Override
    public Result reconcile(Container c, Context context) throws Exception {
        ObjectRef ref = ObjectRef.of(c);
        String ns = ref.namespace();
        String name = ref.name();
        ContainerSpec spec = c.getSpec();
        ContainerStatus st = ContainerStatuses.of(c);
        Long gen = c.getMetadata().getGeneration();
        TaskRuntime rt = engine.runtime();
        ContainerRecord rec = states.get(ns, name).orElse(ContainerRecord.EMPTY);
        Optional<TaskStatus> task = rt.find(ns, name);

        task = tasks.leaveGoneSandbox(ref, spec, task);
        ObjectRef imageRef = ref.sibling("Image", spec.image());
        Optional<Image> image = lookup.get(imageRef, Image.class);
        String notReady = image.isEmpty() ? "does not exist; create it (kind: Image)"
                : image.get().getStatus() == null ? "has no status yet"
                : !image.get().getStatus().isReady() ? "is not Ready" + image.get().getStatus().condition("Ready")
                        .map(r -> " (" + r.reason() + ": " + r.message() + ")").orElse("")
                : null;
        if (notReady != null) {
            if (task.isEmpty()) {
                ContainerStatuses.observed(st, ContainerPhase.Pending, name, rec, null, null);
            }
            ContainerStatuses.conditions(st, clock, gen, false, "WaitingForImage",
                    "waiting for Image " + imageRef.namespace() + "/" + imageRef.name() + ", which " + notReady,
                    true, false);
            return Result.waitingFor(imageRef);
        }
        Optional<Result> sandboxWait = sandboxWait(ref, spec, st, rec, task, gen);
        if (sandboxWait.isPresent()) {
            return sandboxWait.get();
        }
        ImageTarget t = target(image.get());

        // spec edits that need a new runtime container
        SpecChange change = SpecChange.between(rec.appliedSpec(), spec);
        List<String> why = new ArrayList<>();
        if (rec.appliedSpec() != null) {
            if (change.recreate()) {
                why.addAll(change.fields());
            }
            if (!Objects.equals(rec.imageDigest(), t.digest())) {
                why.add("image digest (" + rec.imageDigest() + " → " + t.digest() + ")");
            }
            Optional<String> instance = tasks.sandboxInstance(ref, spec);
            if (rec.sandboxInstance() != null && instance.isPresent() && !rec.sandboxInstance().equals(instance.get())) {
                // as kubelet: a new pod sandbox gets new containers (the old ones hold the old namespaces)
                why.add("the instance of Sandbox " + spec.sandbox() + " (" + rec.sandboxInstance() + " → " + instance.get()
                        + ", the sandbox was rebuilt)");
            }
            if (!Objects.equals(rec.snapshotter(), t.snapshotter())) {
                why.add("snapshotter (" + rec.snapshotter() + " → " + t.snapshotter() + ")");
            }
            if (change.resources() && RuntimeSpecs.liftsLimit(RuntimeSpecs.resources(rec.appliedSpec().resources()),
                    RuntimeSpecs.resources(spec.resources()))) {
                why.add("spec.resources (a limit was removed, which runc update cannot do)");
            }
        }
        Containers containers = engine.containers();
        if (!why.isEmpty() || rec.appliedSpec() == null
                && (task.isPresent() || containers.find(ns, name).isPresent() || containers.rootfsExists(ns, name))) {
            if (!why.isEmpty()) {
                events.normal(ref, "Recreating", String.join(", ", why) + " changed; recreating the container");
            }
            tasks.teardown(ref, task);
            states.delete(ns, name);
            rec = ContainerRecord.EMPTY;
            task = Optional.empty();
        }

        // a restart cut after its old task was deleted is finished as the restart it is, not as drift
        boolean restartPending = task.isEmpty() && rec.appliedSpec() != null && rec.restartPending();
        boolean vanished = task.isEmpty() && rec.appliedSpec() != null && rec.startedAt() != null && !restartPending;
        if (spec.state() == DesiredState.Stopped) {
            return stopped(c, ref, st, rec, task, gen);
        }

        boolean restart = restartPending;
        if (task.isPresent()) {
            TaskStatus ts = task.get();
            if (ts.state() == TaskState.UNKNOWN) {
                throw BerthException.unavailable("cannot tell the state of task %s/%s (its runtime's state call "
                        + "failed); see the daemon log", ns, name);
            }
            if (ts.state() == TaskState.STOPPED) {
                probes.forget(ref);
                boolean counted = counted(rec, ts);
                if (!counted) {
                    rec = countExit(ref, spec, rec, ts);
                }
                if (!STOPPED.equals(rec.reason())) {
                    int code = rec.exitCode();
                    if (!spec.restartPolicy().restartsAfter(code)) {
                        if (!spec.equals(rec.appliedSpec())) {
                            rec = rec.withSpec(spec);
                            states.put(ns, name, rec);
                        }
                        ContainerStatuses.observed(st, ContainerPhase.Exited, name, rec, ts, null);
                        ContainerStatuses.conditions(st, clock, gen, false, rec.reason(), "exited with code " + code
                                + "; restartPolicy " + spec.restartPolicy() + " keeps it down", false, code != 0);
                        st.setObservedGeneration(gen);
                        return Result.converged();
                    }
                    RestartState rs = rec.restartState();
                    if (!backOff.mayStart(rs)) {
                        Duration left = Duration.between(clock.instant(), rs.nextStartAt());
                        ContainerStatuses.observed(st, ContainerPhase.CrashLoopBackOff, name, rec, ts, null);
                        ContainerStatuses.conditions(st, clock, gen, false, "CrashLoopBackOff", "back-off "
                                + rs.delay().toSeconds() + "s restarting the container (last exit code " + code
                                + ", " + rec.reason() + ")", false, true);
                        st.setObservedGeneration(gen);
                        return Result.requeueAfter(left.isZero() || left.isNegative() ? Duration.ofMillis(1) : left);
                    }
                    restart = true;
                    // written before the old task goes: a daemon killed between the delete and the new
                    // task's record would otherwise see a vanished task and never count this restart
                    rec = rec.restarted();
                    states.put(ns, name, rec);
                }
                containers.deleteTask(ns, name, false);
                task = Optional.empty();
            } else if (ts.state() == TaskState.CREATED) {
                rec = rec.withSpec(spec).started(clock.instant());
                states.put(ns, name, rec);
                containers.start(ns, name);
                events.normal(ref, "Started", "started task " + ns + "/" + name);
                task = Optional.of(rt.state(ns, name));
            }
        }
        if (task.isPresent() && !containers.rootfsExists(ns, name)) {
            events.warning(ref, "DriftRepaired", "rootfs snapshot " + snapshotKey(ns, name)
                    + " was removed; recreating the container");
            tasks.teardown(ref, task);
            task = Optional.empty();
        }
        if (task.isEmpty()) {
            if (vanished) {
                events.warning(ref, "DriftRepaired", "task " + ns + "/" + name + " had disappeared; recreating it");
            }
            rec = tasks.create(ref, spec, rec, t, restart);
            task = Optional.of(rt.state(ns, name));
        }
        return running(c, ref, st, rec, task.get(), change, t, gen);
    }

    /** Whether the exit of stopped task {@code ts} is already counted in {@code rec}. */
    private static boolean counted(ContainerRecord rec, TaskStatus ts) {
        return rec.countedExitAt() != null && rec.countedExitAt() == exitKey(ts).toEpochMilli();
    }

    /** What identifies one exit: the runtime's exit time (its create time should that be missing). */
    private static Instant exitKey(TaskStatus ts) {
        return ts.exitedAt() != null ? ts.exitedAt() : ts.createdAt();
    }

    private ContainerRecord countExit(ObjectRef ref, ContainerSpec spec, ContainerRecord rec, TaskStatus ts) {
        Instant now = clock.instant();
        int code = ts.exitCode() == null ? 255 : ts.exitCode();
        String reason = ContainerStatuses.exitReason(ts, code);
        RestartState rs = null;
        if (spec.restartPolicy().restartsAfter(code)) {
            rs = backOff.onExit(rec.restartState(), rec.startedAt() == null ? null
                    : Instant.ofEpochMilli(rec.startedAt()), now);
        }
        rec = rec.exited(exitKey(ts), code, reason, now, rs);
        states.put(ref.namespace(), ref.name(), rec);
        if (ts.oomKilled()) {
            events.warning(ref, "OOMKilled", "the kernel's OOM killer killed the container (memory limit "
                    + (spec.resources() == null ? "none" : spec.resources().memory()) + ")");
        }
        if (rs != null) {
            events.warning(ref, "BackOff", "exited with code " + code + " (" + reason + "); restarting in "
                    + Duration.between(now, rs.nextStartAt()).toSeconds() + "s");
        } else {
            events.normal(ref, "Exited", "exited with code " + code + " (" + reason + "); restartPolicy "
                    + spec.restartPolicy() + " keeps it down");
        }
        return rec;
    }

    private Result stopped(Container c, ObjectRef ref, ContainerStatus st, ContainerRecord rec,
            Optional<TaskStatus> task, Long gen) {
        String ns = ref.namespace();
        String name = ref.name();
        probes.forget(ref);
        TaskStatus ts = task.orElse(null);
        if (ts != null && ts.state().alive()) {
            ts = tasks.stop(ns, name);
            events.normal(ref, "Killed", "stopped task " + ns + "/" + name + " (spec.state is Stopped), exit code "
                    + ts.exitCode());
            rec = rec.exited(exitKey(ts), ts.exitCode() == null ? 255 : ts.exitCode(), STOPPED, clock.instant(), null);
        }
        if (rec.appliedSpec() != null && (!c.getSpec().equals(rec.appliedSpec()) || ts != task.orElse(null))) {
            rec = rec.withSpec(c.getSpec());
            states.put(ns, name, rec);
        }
        ContainerStatuses.observed(st, ContainerPhase.Stopped, name, rec, ts, null);
        ContainerStatuses.conditions(st, clock, gen, true, STOPPED, "stopped as spec.state asks", false, false);
        st.setObservedGeneration(gen);
        return Result.converged();
    }

    private Result running(Container c, ObjectRef ref, ContainerStatus st, ContainerRecord rec, TaskStatus ts,
            SpecChange change, ImageTarget t, Long gen) {
        String ns = ref.namespace();
        String name = ref.name();
        TaskRuntime rt = engine.runtime();
        if (ts.state() == TaskState.STOPPED) {
            // exited right after the start; the exit trigger (or this requeue) handles it
            ContainerStatuses.observed(st, ContainerPhase.Pending, name, rec, ts, null);
            ContainerStatuses.conditions(st, clock, gen, false, "Starting", "the task exited right after its start",
                    true, false);
            return Result.requeueAfter(Duration.ofMillis(200));
        }
        if (engine.containers().remountRootfs(ns, name)) {
            events.warning(ref, "DriftRepaired", "rootfs " + engine.containers().find(ns, name)
                    .map(ContainerInfo::rootfs).orElse(null) + " was not mounted; mounted it again");
        }
        Resources desired = RuntimeSpecs.resources(c.getSpec().resources());
        Resources limits = rt.limits(ns, name);
        List<String> drift = RuntimeSpecs.drift(desired, limits);
        if (!drift.isEmpty()) {
            rt.update(ns, name, desired);
            limits = rt.limits(ns, name);
            if (change.resources()) {
                events.normal(ref, "Updated", "applied spec.resources to the running task: " + String.join(", ", drift));
            } else {
                events.warning(ref, "DriftRepaired", "cgroup limits had changed: " + String.join(", ", drift)
                        + "; restored");
            }
        }
        if (!c.getSpec().equals(rec.appliedSpec())) {
            rec = rec.withSpec(c.getSpec());
            states.put(ns, name, rec);
        }
        ProbeVerdict v = probes.verdict(ref, c.getSpec(), t, ts, "task " + ns + "/" + name + " is running");
        if (v.kill() != null) {
            events.warning(ref, "Killing", v.kill() + "; stopping the container (restartPolicy "
                    + c.getSpec().restartPolicy() + ")");
            probes.forget(ref);
            tasks.stop(ns, name);
            // the exit is counted (restartCount, CrashLoopBackOff) by the next reconcile, as any exit
            return Result.requeueAfter(Duration.ofMillis(1));
        }
        ContainerStatuses.observed(st, ContainerPhase.Running, name, rec, ts, limits);
        ContainerStatuses.probed(st, v);
        ContainerStatuses.conditions(st, clock, gen, v.ready(), v.reason(), v.message(), v.progressing(),
                "ProbeFailed".equals(v.reason()));
        st.setObservedGeneration(gen);
        return Result.converged();
    }

    private Optional<Result> sandboxWait(ObjectRef ref, ContainerSpec spec, ContainerStatus st, ContainerRecord rec,
            Optional<TaskStatus> task, Long gen) {
        if (spec.sandbox() == null) {
            return Optional.empty();
        }
        ObjectRef sbRef = ref.sibling("Sandbox", spec.sandbox());
        Optional<Sandbox> sb = lookup.get(sbRef, Sandbox.class);
        if (sb.isPresent() && sb.get().getStatus() != null && sb.get().getStatus().isReady()
                && sb.get().getMetadata().getDeletionTimestamp() == null) {
            return Optional.empty();
        }
        if (task.isEmpty()) {
            ContainerStatuses.observed(st, ContainerPhase.Pending, ref.name(), rec, null, null);
        }
        ContainerStatuses.conditions(st, clock, gen, false, "WaitingForSandbox", "waiting for Sandbox "
                + sbRef.namespace() + "/" + sbRef.name() + (sb.isEmpty() ? ", which does not exist"
                : sb.get().getMetadata().getDeletionTimestamp() != null ? ", which is being deleted" : ", which is not Ready"),
                true, false);
        return Optional.of(Result.waitingFor(sbRef));
    }

    @Override
    public Result cleanup(Container c, Context context) {
        ObjectRef ref = ObjectRef.of(c);
        String ns = ref.namespace();
        String name = ref.name();
        probes.forget(ref);
        // the containers service removes the snapshot wherever it is (the record's, or any snapshotter's)
        tasks.teardown(ref, engine.runtime().find(ns, name));
        states.delete(ns, name);
        return Result.converged();
    }
}
