package dev.berth.reconcilers.container;

import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.container.DesiredState;
import dev.berth.engine.Engine;
import dev.berth.engine.containers.ContainerInfo;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.Outcome;
import dev.berth.reconcilers.probe.ProbeVerdict;
import dev.berth.reconcilers.rollout.Rollouts;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Surge rollouts of one Container (docs/rollouts.md): when only its image digest changed, the new
 * revision is made as a second runtime container ({@link RuntimeIds#surgeId}) through the same
 * containers service path as any task, started and probed next to the running one, which keeps
 * serving. Once the new task's startup and readiness probes pass it is promoted (its
 * {@value RuntimeIds#SURGE_LABEL} label dropped, so it is the current revision) and only then is the
 * old task stopped and removed; when the rollout goes back instead (the progress deadline passed,
 * or {@code berth rollout undo}), the new revision is removed and the old task was never stopped.
 * A new task that exits is not restarted: it stays down, says so in {@code status.surge}, and the
 * progress deadline rolls it back.
 *
 * <p>Containers in a Sandbox share its network namespace and its host ports with the old task, so
 * two copies could not both bind them; those, and Containers held {@code Stopped} or not running,
 * are recreated in place as before ({@link #applies}). Every step is idempotent and all state is in
 * the container records (which revision carries the label, whose task runs), so a daemon killed at
 * any point resumes: a cut promotion leaves two unlabelled records, of which the newer is current
 * and the older is removed ({@link RuntimeIds.Owned#leftovers}). Thread-safe across Containers.
 */
final class Surges {
    /** How often a surge in progress looks at its new task besides the probes' own wake-ups. */
    static final Duration TICK = Duration.ofSeconds(1);

    private final Engine engine;
    private final ContainerTasks tasks;
    private final ContainerStates states;
    private final ContainerProbes probes;
    private final EventSink events;
    private final Clock clock;

    Surges(Engine engine, ContainerTasks tasks, ContainerStates states, ContainerProbes probes, EventSink events,
            Clock clock) {
        this.engine = engine;
        this.tasks = tasks;
        this.states = states;
        this.probes = probes;
        this.events = events;
        this.clock = clock;
    }

    /**
     * Whether a change for {@code why} is rolled as a surge: only the image digest changed, the
     * Container is in no Sandbox and is meant to run, and its current task runs (or a surge is on).
     */
    static boolean applies(ContainerPass p, java.util.List<String> why) {
        return SpecChange.onlyDigestChanged(why) && p.spec.sandbox() == null && p.spec.state() == DesiredState.Running
                && (p.surge.isPresent() || p.task.isPresent() && p.task.get().state() == TaskState.RUNNING);
    }

    /** Why {@code p} is recreated in place although its digest changed (for the Recreating event). */
    static String inPlaceReason(ContainerPass p) {
        if (p.spec.sandbox() != null) {
            return "in place: it shares Sandbox " + p.spec.sandbox() + "'s network namespace and ports with the old"
                    + " task, so it rolls with its sandbox";
        }
        return "in place: its task is not running";
    }

    /**
     * What a change for {@code why} means for a surge: removes a surge the Container no longer goes
     * to (recording the way back when it goes back to what it runs), then takes the surge's step
     * when {@link #applies}. Empty unless a promotion ended the pass; {@code p.surging} says whether
     * the current task is left running.
     */
    Optional<Outcome<ContainerStatus>> roll(ContainerPass p, java.util.List<String> why) throws Exception {
        boolean surge = applies(p, why);
        if (p.surge.isPresent() && !surge) {
            remove(p, why.isEmpty() ? "the Container goes back to " + p.target.digest()
                    : String.join(", ", why) + " changed");
            if (why.isEmpty()) {
                ContainerHistory.record(p.st, clock, p.gen, p.target.digest(), Rollouts.action(p.image,
                        p.target.digest()), "removed the new task before it was Ready; " + p.ns + "/" + p.id
                        + " kept running");
            }
        }
        return surge ? step(p) : Optional.empty();
    }

    /**
     * One step of the surge to {@code p.target}: makes or starts the new revision, reads its probes'
     * verdict, promotes it when Ready. Empty while it is starting (the current task is reconciled on
     * as usual, {@code p.surging} set); an outcome once it was promoted (the next pass reports it).
     */
    Optional<Outcome<ContainerStatus>> step(ContainerPass p) throws Exception {
        String digest = p.target.digest();
        String sid = RuntimeIds.surgeId(p.name, digest);
        if (p.surge.isPresent() && !p.surge.get().id().equals(sid)) {
            remove(p, "the rollout moved on to " + digest);
        }
        if (p.surge.isEmpty()) {
            events.normal(p.ref, "Surging", "image digest " + p.rec.imageDigest() + " → " + digest + ": starting task "
                    + p.ns + "/" + sid + " next to " + p.ns + "/" + p.id + ", which keeps running until the new one"
                    + " is Ready");
            ContainerHistory.record(p.st, clock, p.gen, digest, Rollouts.action(p.image, digest), "image digest ("
                    + p.rec.imageDigest() + " → " + digest + ") changed; new task " + sid + " started next to " + p.id);
        }
        ContainerRecord srec = states.get(p.ns, sid).orElse(ContainerRecord.EMPTY);
        Optional<TaskStatus> task = engine.runtime().find(p.ns, sid);
        if (task.isEmpty()) {
            // new, or its task was lost with a daemon killed half-way: the record (labelled first) says whose it is
            srec = tasks.create(p.ref, sid, p.spec, srec, p.target, false, Map.of(RuntimeIds.SURGE_LABEL, p.name));
            task = Optional.of(engine.runtime().state(p.ns, sid));
        } else if (task.get().state() == TaskState.CREATED) {
            srec = srec.started(clock.instant());
            states.put(p.ns, sid, srec);
            engine.containers().start(p.ns, sid);
            task = Optional.of(engine.runtime().state(p.ns, sid));
        }
        p.surging = true;
        TaskStatus ts = task.get();
        if (!ts.state().alive()) {
            probes.forget(p.ns, sid);
            ContainerStatus.Surge last = p.st.getSurge();
            String msg = "exited with code " + ts.exitCode() + " and is not restarted; the progress deadline rolls"
                    + " it back" + (last != null && last.message() != null && !"Exited".equals(last.reason())
                    ? " (last: " + last.reason() + ": " + last.message() + ")" : "");
            p.st.setSurge(new ContainerStatus.Surge(sid, digest, null, ContainerStatuses.time(srec.startedAt()), false,
                    "Exited", msg));
            ContainerHistory.settle(p.st, false, "ProbeFailed", msg);
            return Optional.empty();
        }
        ProbeVerdict v = probes.verdict(p.ref, sid, p.spec, p.target, ts, "task " + p.ns + "/" + sid + " is running");
        if (v.kill() != null) {
            events.warning(p.ref, "Killing", v.kill() + "; stopping the new task " + p.ns + "/" + sid);
            p.st.setSurge(new ContainerStatus.Surge(sid, digest, null, ContainerStatuses.time(srec.startedAt()), false,
                    "ProbeFailed", v.kill()));
            tasks.stop(p.ns, sid);
            return Optional.empty();
        }
        if (!v.ready()) {
            p.st.setSurge(new ContainerStatus.Surge(sid, digest, (int) ts.pid(), ContainerStatuses.time(srec.startedAt()),
                    false, v.reason(), v.message()));
            ContainerHistory.settle(p.st, false, v.reason(), v.message());
            return Optional.empty();
        }
        return Optional.of(promote(p, sid, srec, ts, v));
    }

    /** The Ready new revision becomes the current one; only then is the old task stopped and removed. */
    private Outcome<ContainerStatus> promote(ContainerPass p, String sid, ContainerRecord srec, TaskStatus ts,
            ProbeVerdict v) {
        ContainerInfo info = p.surge.orElseGet(() -> engine.containers().find(p.ns, sid).orElseThrow());
        Map<String, String> labels = new HashMap<>(info.labels());
        labels.remove(RuntimeIds.SURGE_LABEL);
        // from here the new record is the newest unlabelled one: the current revision, also after a restart
        engine.containers().setLabels(p.ns, sid, labels);
        probes.forget(p.ns, p.id);
        tasks.teardown(p.ref, p.id, p.task);
        states.delete(p.ns, p.id);
        events.normal(p.ref, "SurgeComplete", "task " + p.ns + "/" + sid + " on " + p.target.digest() + " is Ready ("
                + v.message() + "); removed the old task " + p.ns + "/" + p.id);
        p.st.setSurge(null);
        ContainerStatuses.observed(p.st, ContainerPhase.Running, sid, srec, ts, null);
        ContainerStatuses.probed(p.st, v);
        ContainerHistory.settle(p.st, true, v.reason(), v.message());
        v.readiness().applyTo(p.st, p.gen, clock);
        p.st.setObservedGeneration(p.gen);
        return Outcome.requeueAfter(p.st, Duration.ofMillis(1));
    }

    /**
     * Removes the surge's new revision of {@code p} (task, rootfs snapshot, bundle, cgroup, record);
     * the current task was never stopped. Idempotent.
     */
    void remove(ContainerPass p, String why) {
        if (p.surge.isEmpty()) {
            return;
        }
        String sid = p.surge.get().id();
        probes.forget(p.ns, sid);
        tasks.teardown(p.ref, sid, engine.runtime().find(p.ns, sid));
        states.delete(p.ns, sid);
        events.normal(p.ref, "SurgeRemoved", "removed the new task " + p.ns + "/" + sid + " (" + why + "); task "
                + p.ns + "/" + p.id + " kept running on " + p.rec.imageDigest());
        p.surge = Optional.empty();
        p.st.setSurge(null);
    }

    /** Removes revisions a promotion cut short by a daemon restart left behind. */
    void removeLeftovers(dev.berth.crd.ObjectRef ref, RuntimeIds.Owned owned) {
        for (ContainerInfo old : owned.leftovers()) {
            probes.forget(ref.namespace(), old.id());
            tasks.teardown(ref, old.id(), engine.runtime().find(ref.namespace(), old.id()));
            states.delete(ref.namespace(), old.id());
            events.normal(ref, "SurgeComplete", "removed the old task " + ref.namespace() + "/" + old.id()
                    + ", replaced by " + ref.namespace() + "/" + owned.current() + " before a restart");
        }
    }
}
