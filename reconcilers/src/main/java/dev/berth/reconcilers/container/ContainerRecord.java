package dev.berth.reconcilers.container;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.reconcilers.restart.RestartState;
import java.time.Duration;
import java.time.Instant;

/**
 * What the Container reconciler remembers about one container between reconciles and across daemon
 * restarts (kept by {@link ContainerStates}): the spec and image last applied to the node, the
 * snapshotter its rootfs lives in, the restart count and crash-loop state, and the last exit it has
 * counted. Times are epoch milliseconds from the reconciler's clock. Immutable.
 *
 * @param appliedSpec the spec the current runtime container was created from (null: none created)
 * @param imageDigest digest of the Image the container was created from
 * @param imageName the engine image record used (normalised reference)
 * @param snapshotter the snapshotter holding the rootfs snapshot
 * @param restartCount restarts after exits since the container was (re)created
 * @param crashes consecutive exits counted by the crash-loop backoff (0: none)
 * @param delayMillis the backoff applied after the last counted exit
 * @param nextStartAt earliest restart time after the last counted exit
 * @param startedAt when the current or last task was started
 * @param countedExitAt the runtime's exit time of the last exit counted (so an exit counts once)
 * @param exitCode exit code of the last counted exit
 * @param reason Completed, Error, Signal or OOMKilled for the last counted exit
 * @param finishedAt when the last counted exit was observed
 * @param sandboxInstance which instance of its Sandbox the container joined ({@link #sandboxInstance(Integer, String)}):
 *        a rebuilt sandbox (new pause process) has another, and the container is recreated in it
 * @param restartedAfter the {@code countedExitAt} of the exit whose restart {@code restartCount} includes, so a
 *        restart recorded before its task is replaced counts once however often that step is cut and redone
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ContainerRecord(ContainerSpec appliedSpec, String imageDigest, String imageName, String snapshotter,
        int restartCount, int crashes, Long delayMillis, Long nextStartAt, Long startedAt, Long countedExitAt,
        Integer exitCode, String reason, Long finishedAt, String sandboxInstance, Long restartedAfter) {

    /** Nothing applied yet. */
    public static final ContainerRecord EMPTY =
            new ContainerRecord(null, null, null, null, 0, 0, null, null, null, null, null, null, null, null, null);

    /** The crash-loop state, or null before the first counted exit. */
    public RestartState restartState() {
        if (crashes == 0 || delayMillis == null || nextStartAt == null || finishedAt == null) {
            return null;
        }
        return new RestartState(crashes, Duration.ofMillis(delayMillis), Instant.ofEpochMilli(finishedAt),
                Instant.ofEpochMilli(nextStartAt));
    }

    /** After (re)creating the runtime container from {@code spec}. */
    public ContainerRecord applied(ContainerSpec spec, String digest, String image, String snap) {
        return new ContainerRecord(spec, digest, image, snap, restartCount, crashes, delayMillis, nextStartAt,
                startedAt, countedExitAt, exitCode, reason, finishedAt, sandboxInstance, restartedAfter);
    }

    /** Same container, spec fields that need no recreate updated (resources, state, restartPolicy). */
    public ContainerRecord withSpec(ContainerSpec spec) {
        return applied(spec, imageDigest, imageName, snapshotter);
    }

    /** A task was started at {@code at}. */
    public ContainerRecord started(Instant at) {
        return new ContainerRecord(appliedSpec, imageDigest, imageName, snapshotter, restartCount, crashes,
                delayMillis, nextStartAt, at.toEpochMilli(), countedExitAt, exitCode, reason, finishedAt, sandboxInstance,
                restartedAfter);
    }

    /** Created but not (yet) started. */
    public ContainerRecord notStarted() {
        return new ContainerRecord(appliedSpec, imageDigest, imageName, snapshotter, restartCount, crashes,
                delayMillis, nextStartAt, null, countedExitAt, exitCode, reason, finishedAt, sandboxInstance,
                restartedAfter);
    }

    /** A restart after the last counted exit; the same record when that restart is counted already. */
    public ContainerRecord restarted() {
        if (countedExitAt != null && countedExitAt.equals(restartedAfter)) {
            return this;
        }
        return new ContainerRecord(appliedSpec, imageDigest, imageName, snapshotter, restartCount + 1, crashes,
                delayMillis, nextStartAt, startedAt, countedExitAt, exitCode, reason, finishedAt, sandboxInstance,
                countedExitAt);
    }

    /** Whether a restart after the last counted exit is recorded but its task not started yet (a cut restart). */
    public boolean restartPending() {
        return countedExitAt != null && countedExitAt.equals(restartedAfter)
                && (startedAt == null || startedAt <= countedExitAt);
    }

    /** An exit counted, with the new crash-loop state (null when the policy does not restart). */
    public ContainerRecord exited(Instant runtimeExitAt, int code, String why, Instant observedAt, RestartState s) {
        return new ContainerRecord(appliedSpec, imageDigest, imageName, snapshotter, restartCount,
                s == null ? crashes : s.crashes(), s == null ? delayMillis : Long.valueOf(s.delay().toMillis()),
                s == null ? nextStartAt : Long.valueOf(s.nextStartAt().toEpochMilli()), startedAt,
                runtimeExitAt.toEpochMilli(), code, why, observedAt.toEpochMilli(), sandboxInstance, restartedAfter);
    }

    /** Joined the sandbox instance {@code instance} (null: not in a sandbox). */
    public ContainerRecord inSandbox(String instance) {
        return new ContainerRecord(appliedSpec, imageDigest, imageName, snapshotter, restartCount, crashes,
                delayMillis, nextStartAt, startedAt, countedExitAt, exitCode, reason, finishedAt, instance, restartedAfter);
    }

    /** The identity of one instance of a sandbox: its pause process and network namespace. */
    public static String sandboxInstance(Integer pausePid, String netnsPath) {
        return (pausePid == null ? "-" : pausePid.toString()) + "@" + (netnsPath == null ? "-" : netnsPath);
    }

    /** A fresh container (after a recreate): counts and crash-loop state start over. */
    public ContainerRecord fresh() {
        return EMPTY;
    }
}
