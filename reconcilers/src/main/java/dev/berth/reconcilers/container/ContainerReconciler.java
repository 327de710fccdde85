package dev.berth.reconcilers.container;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.container.DesiredState;
import dev.berth.crd.image.Image;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.crd.validation.Validator;
import dev.berth.engine.Engine;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.containers.ContainerInfo;
import dev.berth.engine.containers.Containers;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.reconcilers.Cleaner;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.Drift;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.ObjectLookup;
import dev.berth.reconcilers.Outcome;
import dev.berth.reconcilers.Readiness;
import dev.berth.reconcilers.Reconciler;
import dev.berth.reconcilers.Result;
import dev.berth.reconcilers.Steps;
import dev.berth.reconcilers.probe.NetnsDialer;
import dev.berth.reconcilers.probe.Prober;
import dev.berth.reconcilers.restart.CrashLoopBackOff;
import dev.berth.reconcilers.restart.RestartState;
import dev.berth.reconcilers.rollout.Rollouts;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Keeps one runtime container (task + rootfs snapshot) per Container object, level-triggered: every
 * call observes the Image object, the persisted {@link ContainerRecord}, the task and the rootfs
 * mount, then runs its named steps (each may end the reconcile with its {@link Outcome}):
 * <ol>
 *   <li>leave a gone sandbox: a member whose Sandbox is being deleted, gone or without a pause process
 *       stops and deletes its task ({@link SandboxMembers}), so the Sandbox's cleanup can go on;</li>
 *   <li>await dependencies: the Image (and the Sandbox, if named) Ready, else
 *       {@link Readiness#waiting} {@code WaitingForImage|WaitingForSandbox} and {@link Result#waitingFor};</li>
 *   <li>recreate if changed ({@link SpecChange}, image digest, snapshotter, sandbox instance, a lifted limit):
 *       stop, delete, new snapshot; a change of the image digest alone is rolled as a surge instead
 *       ({@link Surges}: the new revision starts next to the running task, which goes once it is Ready);</li>
 *   <li>hold stopped: {@code spec.state: Stopped} stops the task (no crash) and reports {@code Stopped};</li>
 *   <li>apply restart policy: an exit is counted once, then kept down, backed off
 *       ({@link CrashLoopBackOff}) or restarted;</li>
 *   <li>ensure task: start a created task, make a missing one (drift: a vanished task, a removed snapshot);</li>
 *   <li>ensure mounts: the rootfs mounted on the bundle; ensure limits: cgroup limits as the spec
 *       ({@code runc update}), then the spec counts as applied;</li>
 *   <li>probe ({@link Prober}, on its own threads): a failed liveness or startup probe stops the task,
 *       whose exit then restarts it as any crash; report: phase, runtime fields, the verdict's readiness.</li>
 * </ol>
 * The runtime task is {@code <namespace>/<id>} with {@code id} the current revision's runtime id
 * ({@link RuntimeIds}: {@code <name>}, or {@code <name>_<digest>} after a surge); the rootfs is the
 * active snapshot {@code container/<namespace>/<id>} mounted at the task bundle's {@code rootfs}.
 * Thread-safe across objects (the dispatcher never runs two reconciles of one object at once).
 * Time decisions (backoff, status times) use the injected clock only; exits are timed when they are
 * observed, which with the daemon's exit-triggered reconciles is the moment they happen. About 460
 * lines: one short method per named step, and the surge's hand-over between two revisions in the
 * steps themselves; exits, recreate reasons, statuses, tasks and surges are in {@link ContainerExits},
 * {@link SpecChange}, {@link ContainerStatuses}, {@link ContainerTasks} and {@link Surges}.
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
    private final ContainerExits exits;
    private final Surges surges;
    private final Steps<ContainerPass, ContainerStatus> steps = steps();

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
        this.exits = new ContainerExits(clock, backOff, states, events);
        this.surges = new Surges(engine, tasks, states, probes, events, clock);
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

    /** What {@code container} runs of {@code image}: during a rollout, the digest the rollout gives it. */
    private ImageTarget target(Image image, String container) {
        String snapshotter = image.getSpec().unpack() != null && image.getSpec().unpack().snapshotter() != null
                ? image.getSpec().unpack().snapshotter() : engine.snapshotter().name();
        String platform = image.getStatus().getPlatform();
        String digest = Rollouts.digestFor(image, container);
        return new ImageTarget(Rollouts.imageName(image, digest), digest,
                snapshotter, platform == null || platform.isEmpty() ? null : platform);
    }

    private Steps<ContainerPass, ContainerStatus> steps() {
        return Steps.<ContainerPass, ContainerStatus>first("leave a gone sandbox", this::leaveGoneSandbox)
                .then("await dependencies", this::awaitDependencies)
                .then("check probe ports", this::checkProbePorts)
                .then("recreate if changed", this::recreateIfChanged)
                .then("hold stopped", p -> p.spec.state() == DesiredState.Stopped ? Optional.of(stopped(p))
                        : Optional.empty())
                .then("apply restart policy", this::applyRestartPolicy)
                .then("ensure task", this::ensureTask)
                .then("ensure mounts", this::ensureMounts)
                .then("ensure limits", this::ensureLimits)
                .then("probe", this::probe)
                .last("report", this::report);
    }

    @Override
    public Outcome<ContainerStatus> reconcile(Container c, Context context) throws Exception {
        ObjectRef ref = ObjectRef.of(c);
        RuntimeIds.Owned owned = RuntimeIds.of(engine.containers(), ref.namespace(), ref.name());
        surges.removeLeftovers(ref, owned);
        ContainerStatus st = Outcome.startFrom(c.getStatus(), ContainerStatus::new);
        // a pass that finds a surge under way says so again; any other leaves status.surge empty
        st.setSurge(null);
        return steps.run(new ContainerPass(c, st, owned,
                states.get(ref.namespace(), owned.current()).orElse(ContainerRecord.EMPTY),
                engine.runtime().find(ref.namespace(), owned.current())));
    }

    /** A member whose sandbox is gone, being deleted or without pause stops its task ({@link SandboxMembers}). */
    private Optional<Outcome<ContainerStatus>> leaveGoneSandbox(ContainerPass p) {
        p.task = tasks.leaveGoneSandbox(p.ref, p.id, p.spec, p.task);
        return Optional.empty();
    }

    /** The Image must be Ready, and the Sandbox when the spec names one (and is not being deleted). */
    private Optional<Outcome<ContainerStatus>> awaitDependencies(ContainerPass p) {
        ObjectRef imageRef = p.ref.sibling("Image", p.spec.image());
        Optional<Image> image = lookup.get(imageRef, Image.class);
        String notReady = image.isEmpty() ? "does not exist; create it (kind: Image)"
                : image.get().getStatus() == null ? "has no status yet"
                : !image.get().getStatus().isReady() ? "is not Ready" + image.get().getStatus().condition("Ready")
                        .map(r -> " (" + r.reason() + ": " + r.message() + ")").orElse("")
                : null;
        if (notReady != null) {
            return Optional.of(waiting(p, imageRef, Readiness.waiting("WaitingForImage", "waiting for Image "
                    + imageRef.namespace() + "/" + imageRef.name() + ", which " + notReady)));
        }
        if (p.spec.sandbox() != null) {
            ObjectRef sbRef = p.ref.sibling("Sandbox", p.spec.sandbox());
            Optional<Sandbox> sb = lookup.get(sbRef, Sandbox.class);
            boolean deleting = sb.isPresent() && sb.get().getMetadata().getDeletionTimestamp() != null;
            if (sb.isEmpty() || deleting || sb.get().getStatus() == null || !sb.get().getStatus().isReady()) {
                return Optional.of(waiting(p, sbRef, Readiness.waiting("WaitingForSandbox", "waiting for Sandbox "
                        + sbRef.namespace() + "/" + sbRef.name() + (sb.isEmpty() ? ", which does not exist"
                        : deleting ? ", which is being deleted" : ", which is not Ready"))));
            }
        }
        p.image = image.get();
        p.target = target(image.get(), p.name);
        return Optional.empty();
    }

    /**
     * HTTP and TCP probes must name ports the Sandbox declares, when it declares any (a Sandbox's
     * spec is another object, so the object's own validation cannot see this): else the Container
     * is not started (a running task is left alone) and says which field to fix.
     */
    private Optional<Outcome<ContainerStatus>> checkProbePorts(ContainerPass p) {
        Optional<Sandbox> sb = p.spec.sandbox() == null ? Optional.empty()
                : lookup.get(p.ref.sibling("Sandbox", p.spec.sandbox()), Sandbox.class);
        List<String> errors = sb.map(s -> Validator.probePorts(p.spec, p.spec.sandbox(), s.getSpec())).orElse(List.of())
                .stream().map(Object::toString).toList();
        if (errors.isEmpty()) {
            return Optional.empty();
        }
        if (p.task.isEmpty()) {
            ContainerStatuses.observed(p.st, ContainerPhase.Pending, p.id, p.rec, null, null);
        }
        Readiness.degraded("InvalidProbePort", String.join("; ", errors)).applyTo(p.st, p.gen, clock);
        p.st.setObservedGeneration(p.gen);
        // the Sandbox's status writes wake its Containers; this look again covers an edit that writes none
        return Optional.of(Outcome.requeueAfter(p.st, Duration.ofSeconds(30)));
    }

    private Outcome<ContainerStatus> waiting(ContainerPass p, ObjectRef dependency, Readiness why) {
        if (p.task.isEmpty()) {
            ContainerStatuses.observed(p.st, ContainerPhase.Pending, p.id, p.rec, null, null);
        }
        why.applyTo(p.st, p.gen, clock);
        return Outcome.waitingFor(p.st, dependency);
    }

    /** Spec edits (and image, snapshotter, sandbox changes) that need a new runtime container tear the old one down. */
    private Optional<Outcome<ContainerStatus>> recreateIfChanged(ContainerPass p) throws Exception {
        p.change = SpecChange.between(p.rec.appliedSpec(), p.spec);
        List<String> why = p.rec.appliedSpec() == null ? List.of()
                : SpecChange.recreateReasons(p.rec, p.spec, p.change, p.target, tasks.sandboxInstance(p.ref, p.spec));
        ContainerRecord rec = p.rec;
        Containers containers = engine.containers();
        Optional<Outcome<ContainerStatus>> promoted = surges.roll(p, why);
        if (promoted.isPresent()) {
            return promoted;
        }
        if (p.surging) {
            why = List.of();
        }
        if (!why.isEmpty() || rec.appliedSpec() == null && (p.task.isPresent()
                || containers.find(p.ns, p.id).isPresent() || containers.rootfsExists(p.ns, p.id))) {
            if (!why.isEmpty()) {
                boolean digest = why.stream().anyMatch(SpecChange::isDigestChange);
                events.normal(p.ref, "Recreating", String.join(", ", why) + " changed; recreating the container"
                        + (digest ? " " + Surges.inPlaceReason(p) : ""));
                ContainerHistory.record(p.st, clock, p.gen, p.target.digest(), SpecChange.onlyDigestChanged(why)
                        ? Rollouts.action(p.image, p.target.digest())
                        : "Recreated", String.join(", ", why) + " changed");
            }
            tasks.teardown(p.ref, p.id, p.task);
            states.delete(p.ns, p.id);
            p.rec = ContainerRecord.EMPTY;
            p.task = Optional.empty();
        }
        // a restart cut after its old task was deleted is finished as the restart it is, not as drift
        boolean restartPending = p.task.isEmpty() && p.rec.appliedSpec() != null && p.rec.restartPending();
        p.vanished = p.task.isEmpty() && p.rec.appliedSpec() != null && p.rec.startedAt() != null && !restartPending;
        p.restart = restartPending;
        return Optional.empty();
    }

    /** An exited task is counted once, then kept down, backed off, or deleted to be restarted. */
    private Optional<Outcome<ContainerStatus>> applyRestartPolicy(ContainerPass p) {
        if (p.task.isEmpty()) {
            return Optional.empty();
        }
        TaskStatus ts = p.task.get();
        if (ts.state() == TaskState.UNKNOWN) {
            throw BerthException.unavailable("cannot tell the state of task %s/%s (its runtime's state call "
                    + "failed); see the daemon log", p.ns, p.id);
        }
        if (ts.state() != TaskState.STOPPED) {
            return Optional.empty();
        }
        probes.forget(p.ref);
        if (!ContainerExits.counted(p.rec, ts)) {
            p.rec = exits.count(p.ref, p.spec, p.rec, ts);
        }
        if (!STOPPED.equals(p.rec.reason())) {
            int code = p.rec.exitCode();
            if (!p.spec.restartPolicy().restartsAfter(code)) {
                if (!p.spec.equals(p.rec.appliedSpec())) {
                    p.rec = p.rec.withSpec(p.spec);
                    states.put(p.ns, p.id, p.rec);
                }
                ContainerStatuses.observed(p.st, ContainerPhase.Exited, p.id, p.rec, ts, null);
                String down = "exited with code " + code + "; restartPolicy " + p.spec.restartPolicy() + " keeps it down";
                (code != 0 ? Readiness.degraded(p.rec.reason(), down) : Readiness.finished(p.rec.reason(), down))
                        .applyTo(p.st, p.gen, clock);
                p.st.setObservedGeneration(p.gen);
                return Optional.of(Outcome.converged(p.st));
            }
            RestartState rs = p.rec.restartState();
            if (!backOff.mayStart(rs)) {
                Duration left = Duration.between(clock.instant(), rs.nextStartAt());
                ContainerStatuses.observed(p.st, ContainerPhase.CrashLoopBackOff, p.id, p.rec, ts, null);
                Readiness.degraded("CrashLoopBackOff", "back-off " + rs.delay().toSeconds()
                        + "s restarting the container (last exit code " + code + ", " + p.rec.reason() + ")")
                        .applyTo(p.st, p.gen, clock);
                p.st.setObservedGeneration(p.gen);
                return Optional.of(Outcome.requeueAfter(p.st,
                        left.isZero() || left.isNegative() ? Duration.ofMillis(1) : left));
            }
            p.restart = true;
            // written before the old task goes: a daemon killed between the delete and the new
            // task's record would otherwise see a vanished task and never count this restart
            p.rec = p.rec.restarted();
            states.put(p.ns, p.id, p.rec);
        }
        engine.containers().deleteTask(p.ns, p.id, false);
        p.task = Optional.empty();
        return Optional.empty();
    }

    /** A created task is started; a missing task (or one whose rootfs snapshot went) is made again. */
    private Optional<Outcome<ContainerStatus>> ensureTask(ContainerPass p) throws Exception {
        TaskRuntime rt = engine.runtime();
        Containers containers = engine.containers();
        if (p.task.isPresent() && p.task.get().state() == TaskState.CREATED) {
            p.rec = p.rec.withSpec(p.spec).started(clock.instant());
            states.put(p.ns, p.id, p.rec);
            containers.start(p.ns, p.id);
            events.normal(p.ref, "Started", "started task " + p.ns + "/" + p.id);
            p.task = Optional.of(rt.state(p.ns, p.id));
        }
        if (p.task.isPresent() && !containers.rootfsExists(p.ns, p.id)) {
            events.drift(p.ref, Drift.SNAPSHOT, "rootfs snapshot " + snapshotKey(p.ns, p.id)
                    + " was removed; recreating the container");
            tasks.teardown(p.ref, p.id, p.task);
            p.task = Optional.empty();
        }
        if (p.task.isEmpty()) {
            if (p.vanished) {
                events.drift(p.ref, Drift.TASK, "task " + p.ns + "/" + p.id + " had disappeared; recreating it");
            }
            if (p.rec.appliedSpec() == null && (p.st.getHistory() == null || !ContainerHistory.PROGRESSING.equals(
                    p.st.getHistory().get(p.st.getHistory().size() - 1).outcome()))) {
                ContainerHistory.record(p.st, clock, p.gen, p.target.digest(), "Created", "created from "
                        + p.target.imageName());
            }
            p.rec = tasks.create(p.ref, p.id, p.spec, p.rec, p.target, p.restart);
            p.task = Optional.of(rt.state(p.ns, p.id));
        }
        if (p.task.get().state() == TaskState.STOPPED) {
            // exited right after the start; the exit trigger (or this requeue) handles it
            ContainerStatuses.observed(p.st, ContainerPhase.Pending, p.id, p.rec, p.task.get(), null);
            Readiness.progressing("Starting", "the task exited right after its start").applyTo(p.st, p.gen, clock);
            return Optional.of(Outcome.requeueAfter(p.st, Duration.ofMillis(200)));
        }
        return Optional.empty();
    }

    /** The rootfs is mounted on the bundle (remounted when something unmounted it). */
    private Optional<Outcome<ContainerStatus>> ensureMounts(ContainerPass p) {
        if (engine.containers().remountRootfs(p.ns, p.id)) {
            events.drift(p.ref, Drift.MOUNT, "rootfs " + engine.containers().find(p.ns, p.id)
                    .map(ContainerInfo::rootfs).orElse(null) + " was not mounted; mounted it again");
        }
        return Optional.empty();
    }

    /** The cgroup limits are the spec's (runc update); then the spec counts as applied. */
    private Optional<Outcome<ContainerStatus>> ensureLimits(ContainerPass p) {
        TaskRuntime rt = engine.runtime();
        Resources desired = RuntimeSpecs.resources(p.spec.resources());
        p.limits = rt.limits(p.ns, p.id);
        List<String> drift = RuntimeSpecs.drift(desired, p.limits);
        if (!drift.isEmpty()) {
            rt.update(p.ns, p.id, desired);
            p.limits = rt.limits(p.ns, p.id);
            if (p.change.resources()) {
                events.normal(p.ref, "Updated", "applied spec.resources to the running task: " + String.join(", ", drift));
            } else {
                events.drift(p.ref, Drift.LIMITS, "cgroup limits had changed: " + String.join(", ", drift)
                        + "; restored");
            }
        }
        if (!p.spec.equals(p.rec.appliedSpec())) {
            p.rec = p.rec.withSpec(p.spec);
            states.put(p.ns, p.id, p.rec);
        }
        return Optional.empty();
    }

    /** The probes' verdict; a failed liveness or startup probe stops the task (its exit restarts it). */
    private Optional<Outcome<ContainerStatus>> probe(ContainerPass p) {
        p.verdict = probes.verdict(p.ref, p.id, p.spec, p.target, p.task.get(), "task " + p.ns + "/" + p.id + " is running");
        if (p.verdict.kill() == null) {
            return Optional.empty();
        }
        events.warning(p.ref, "Killing", p.verdict.kill() + "; stopping the container (restartPolicy "
                + p.spec.restartPolicy() + ")");
        probes.forget(p.ref);
        tasks.stop(p.ns, p.id);
        // the exit is counted (restartCount, CrashLoopBackOff) by the next reconcile, as any exit
        return Optional.of(Outcome.requeueAfter(p.st, Duration.ofMillis(1)));
    }

    private Outcome<ContainerStatus> report(ContainerPass p) {
        ContainerStatuses.observed(p.st, ContainerPhase.Running, p.id, p.rec, p.task.get(), p.limits);
        ContainerStatuses.probed(p.st, p.verdict);
        if (!p.surging) {
            // during a surge the newest history entry is the new task's, settled by its own verdict
            ContainerHistory.settle(p.st, p.verdict.ready(), p.verdict.reason(), p.verdict.message());
        }
        p.verdict.readiness().applyTo(p.st, p.gen, clock);
        p.st.setObservedGeneration(p.gen);
        return p.surging ? Outcome.requeueAfter(p.st, Surges.TICK) : Outcome.converged(p.st);
    }

    /** spec.state Stopped: the task is stopped (an exit that is no crash) and the container reported Stopped. */
    private Outcome<ContainerStatus> stopped(ContainerPass p) {
        probes.forget(p.ref);
        ContainerRecord rec = p.rec;
        TaskStatus ts = p.task.orElse(null);
        if (ts != null && ts.state().alive()) {
            ts = tasks.stop(p.ns, p.id);
            events.normal(p.ref, "Killed", "stopped task " + p.ns + "/" + p.id + " (spec.state is Stopped), exit code "
                    + ts.exitCode());
            rec = rec.exited(ContainerExits.key(ts), ts.exitCode() == null ? 255 : ts.exitCode(), STOPPED, clock.instant(), null);
        }
        if (rec.appliedSpec() != null && (!p.spec.equals(rec.appliedSpec()) || ts != p.task.orElse(null))) {
            rec = rec.withSpec(p.spec);
            states.put(p.ns, p.id, rec);
        }
        ContainerStatuses.observed(p.st, ContainerPhase.Stopped, p.id, rec, ts, null);
        Readiness.ready(STOPPED, "stopped as spec.state asks").applyTo(p.st, p.gen, clock);
        p.st.setObservedGeneration(p.gen);
        return Outcome.converged(p.st);
    }

    @Override
    public Result cleanup(Container c, Context context) {
        ObjectRef ref = ObjectRef.of(c);
        String ns = ref.namespace();
        String name = ref.name();
        probes.forget(ref);
        // every revision (a surge's new one too); the containers service removes each snapshot wherever it is
        for (String id : RuntimeIds.of(engine.containers(), ns, name).all()) {
            tasks.teardown(ref, id, engine.runtime().find(ns, id));
            states.delete(ns, id);
        }
        return Result.converged();
    }
}
