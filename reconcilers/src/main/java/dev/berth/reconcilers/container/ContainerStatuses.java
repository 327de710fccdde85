package dev.berth.reconcilers.container;

import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.status.Conditions;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.runtime.TaskStatus;
import java.time.Instant;

/**
 * Writes a Container's status fields from what the reconciler observed: phase and runtime fields
 * (the conditions come from {@link dev.berth.reconcilers.Readiness}); an unchanged observation
 * leaves the status equal and no write happens. Stateless and thread-safe.
 */
final class ContainerStatuses {
    private ContainerStatuses() {
    }

    /** Runtime fields from the record and the task (null task: none exists). */
    static void observed(ContainerStatus st, ContainerPhase phase, String id, ContainerRecord rec, TaskStatus task,
            Resources limits) {
        st.setPhase(phase);
        st.setStarted(null);
        st.setProbes(null);
        st.setContainerID(task == null ? null : id);
        st.setImageDigest(rec.imageDigest());
        boolean live = task != null && task.state().alive();
        st.setPid(live && task.pid() > 0 ? Integer.valueOf((int) task.pid()) : null);
        st.setExitCode(rec.exitCode());
        st.setReason(phase == ContainerPhase.CrashLoopBackOff ? "CrashLoopBackOff" : rec.reason());
        st.setRestartCount(rec.restartCount());
        st.setStartedAt(time(rec.startedAt()));
        st.setFinishedAt(time(rec.finishedAt()));
        st.setNextRestartAt(phase == ContainerPhase.CrashLoopBackOff ? time(rec.nextStartAt()) : null);
        st.setCgroupPath(task == null ? null : task.cgroupPath());
        st.setLimits(limits == null ? null : RuntimeSpecs.limits(limits));
    }

    /** What the probes of a running task say: started, and each probe's last result. */
    static void probed(ContainerStatus st, dev.berth.reconcilers.probe.ProbeVerdict v) {
        st.setStarted(v.started());
        st.setProbes(v.probes());
    }

    static String time(Long epochMillis) {
        return epochMillis == null ? null : Conditions.format(Instant.ofEpochMilli(epochMillis));
    }

    /** Why a task stopped: OOMKilled, Completed, Signal (128+n) or Error. */
    static String exitReason(TaskStatus t, int code) {
        if (t.oomKilled()) {
            return "OOMKilled";
        }
        if (code == 0) {
            return "Completed";
        }
        return code > 128 && code <= 128 + 64 ? "Signal" : "Error";
    }
}
