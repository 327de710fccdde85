package dev.berth.reconcilers.probe;

import dev.berth.crd.container.ContainerStatus;
import dev.berth.reconcilers.Readiness;
import java.util.List;

/**
 * What a running task's probes say now, for its Container's status: whether it has started,
 * whether it is ready (with the Ready condition's reason and message), whether a liveness or
 * startup probe has failed so that the task must be killed, and each probe's last result.
 * Immutable.
 *
 * @param started the startup probe succeeded (true without one)
 * @param ready the container counts as ready
 * @param reason the Ready condition's reason: Running (no readiness probe), Ready, ProbeFailed,
 *        WaitingForProbe or Starting
 * @param message the Ready condition's message, with the probe's last output
 * @param kill non-null when the task must be killed: which probe failed and its output
 * @param probes the status of each probe
 */
public record ProbeVerdict(boolean started, boolean ready, String reason, String message, String kill,
        List<ContainerStatus.ProbeStatus> probes) {

    public ProbeVerdict {
        probes = List.copyOf(probes);
    }

    /** A task without probes: started and ready while it runs. */
    public static ProbeVerdict none(String message) {
        return new ProbeVerdict(true, true, "Running", message, null, List.of());
    }

    /** Whether the container is still on its way to ready (a probe has yet to give its verdict). */
    public boolean progressing() {
        return !started || "WaitingForProbe".equals(reason);
    }

    /**
     * The verdict in the reconcilers' vocabulary: ready; degraded when a probe failed (retrying
     * while the startup probe has not passed yet); otherwise progressing, a probe has yet to answer.
     */
    public Readiness readiness() {
        if (ready) {
            return Readiness.ready(reason, message);
        }
        if ("ProbeFailed".equals(reason)) {
            return progressing() ? Readiness.retrying(reason, message) : Readiness.degraded(reason, message);
        }
        return Readiness.progressing(reason, message);
    }
}
