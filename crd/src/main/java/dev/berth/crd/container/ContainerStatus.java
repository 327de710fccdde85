package dev.berth.crd.container;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.berth.crd.status.BerthStatus;
import java.util.List;
import java.util.Objects;

/** Observed state of a {@link Container}. Mutable bean, not thread-safe. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ContainerStatus extends BerthStatus {
    private ContainerPhase phase;
    private String containerID;
    private String imageDigest;
    private Integer pid;
    private Integer exitCode;
    private String reason;
    private Integer restartCount;
    private String startedAt;
    private String finishedAt;
    private String nextRestartAt;
    private String cgroupPath;
    private Limits limits;
    private Boolean started;
    private List<ProbeStatus> probes;
    private List<HistoryEntry> history;
    private Surge surge;

    public ContainerPhase getPhase() {
        return phase;
    }

    public void setPhase(ContainerPhase phase) {
        this.phase = phase;
    }

    @Override
    @com.fasterxml.jackson.annotation.JsonIgnore
    public String phaseName() {
        return phase == null ? null : phase.name();
    }

    /**
     * The new task of a surge rollout while it starts next to the running one (absent otherwise):
     * the old task keeps serving, and this one replaces it once it is Ready (docs/rollouts.md).
     */
    public Surge getSurge() {
        return surge;
    }

    public void setSurge(Surge surge) {
        this.surge = surge;
    }

    /** Runtime id of the container (runc/conmon). */
    public String getContainerID() {
        return containerID;
    }

    public void setContainerID(String containerID) {
        this.containerID = containerID;
    }

    /** Digest of the image the container was created from. */
    public String getImageDigest() {
        return imageDigest;
    }

    public void setImageDigest(String imageDigest) {
        this.imageDigest = imageDigest;
    }

    /** Host pid of the container's init process while running. */
    public Integer getPid() {
        return pid;
    }

    public void setPid(Integer pid) {
        this.pid = pid;
    }

    /** Exit code of the last exit. */
    public Integer getExitCode() {
        return exitCode;
    }

    public void setExitCode(Integer exitCode) {
        this.exitCode = exitCode;
    }

    /** Why it last exited or waits: Completed, Error, OOMKilled, CrashLoopBackOff, WaitingForImage… */
    public String getReason() {
        return reason;
    }

    public void setReason(String reason) {
        this.reason = reason;
    }

    public Integer getRestartCount() {
        return restartCount;
    }

    public void setRestartCount(Integer restartCount) {
        this.restartCount = restartCount;
    }

    /** RFC 3339 time the current or last process started. */
    public String getStartedAt() {
        return startedAt;
    }

    public void setStartedAt(String startedAt) {
        this.startedAt = startedAt;
    }

    /** RFC 3339 time the last process exited. */
    public String getFinishedAt() {
        return finishedAt;
    }

    public void setFinishedAt(String finishedAt) {
        this.finishedAt = finishedAt;
    }

    /** While in CrashLoopBackOff: when the next start is due (RFC 3339). */
    public String getNextRestartAt() {
        return nextRestartAt;
    }

    public void setNextRestartAt(String nextRestartAt) {
        this.nextRestartAt = nextRestartAt;
    }

    public String getCgroupPath() {
        return cgroupPath;
    }

    public void setCgroupPath(String cgroupPath) {
        this.cgroupPath = cgroupPath;
    }

    /** The limits read back from the cgroup, i.e. actually in force. */
    public Limits getLimits() {
        return limits;
    }

    public void setLimits(Limits limits) {
        this.limits = limits;
    }

    /**
     * Whether the container has passed its startup probe (true at once without one); absent while no
     * task runs, as kubelet's {@code started}.
     */
    public Boolean getStarted() {
        return started;
    }

    public void setStarted(Boolean started) {
        this.started = started;
    }

    /** The probes in force for the running task and their last results (absent without probes). */
    public List<ProbeStatus> getProbes() {
        return probes;
    }

    public void setProbes(List<ProbeStatus> probes) {
        this.probes = probes == null || probes.isEmpty() ? null : List.copyOf(probes);
    }

    /** The last changes made to the node for this Container (newest last), for {@code berth rollout history}. */
    public List<HistoryEntry> getHistory() {
        return history;
    }

    public void setHistory(List<HistoryEntry> history) {
        this.history = history == null || history.isEmpty() ? null : List.copyOf(history);
    }

    /**
     * One reconcile that changed the node.
     *
     * @param time when (RFC 3339)
     * @param generation the object's generation it acted on
     * @param imageDigest the image digest the container runs after it
     * @param action Created, Recreated, RolledOut, RolledBack
     * @param outcome Progressing until the new task settles, then Ready, or the failure
     * @param message why (the changed fields, the rollout)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HistoryEntry(String time, Long generation, String imageDigest, String action, String outcome,
            String message) {
    }

    /**
     * One probe of the running task.
     *
     * @param probe Startup, Liveness or Readiness
     * @param source where it comes from: {@code spec.livenessProbe} (and so on), or {@code image
     *        HEALTHCHECK} when the image's health check stands in for a missing liveness probe
     * @param action what it does, e.g. {@code exec [cat /ready]}, {@code httpGet http://:8080/healthz}
     * @param result Pending (no verdict yet), Success or Failure
     * @param message the last attempt's output or error
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ProbeStatus(String probe, String source, String action, String result, String message) {
    }

    /**
     * The second task of a surge rollout, started next to the running one on the rollout's digest.
     *
     * @param containerID its runtime id ({@code <name>_<12 hex digits of the digest>})
     * @param imageDigest the digest it runs
     * @param pid host pid of its init process while running
     * @param startedAt when it was started
     * @param ready whether its startup and readiness probes passed
     * @param reason why it is (not) Ready: Starting, WaitingForProbe, ProbeFailed, Exited, Ready, Running
     * @param message the probe's last output or the exit
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Surge(String containerID, String imageDigest, Integer pid, String startedAt, Boolean ready,
            String reason, String message) {
    }

    /**
     * Limits in force: memory in bytes, CPU as quota and period in microseconds (quota absent =
     * unlimited), maximum pids. Absent fields are unlimited.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Limits(Long memoryBytes, Long cpuQuotaMicros, Long cpuPeriodMicros, Long pids) {
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof ContainerStatus s && phase == s.phase
                && Objects.equals(containerID, s.containerID) && Objects.equals(imageDigest, s.imageDigest)
                && Objects.equals(pid, s.pid) && Objects.equals(exitCode, s.exitCode)
                && Objects.equals(reason, s.reason) && Objects.equals(restartCount, s.restartCount)
                && Objects.equals(startedAt, s.startedAt) && Objects.equals(finishedAt, s.finishedAt)
                && Objects.equals(nextRestartAt, s.nextRestartAt)
                && Objects.equals(cgroupPath, s.cgroupPath) && Objects.equals(limits, s.limits)
                && Objects.equals(started, s.started) && Objects.equals(probes, s.probes)
                && Objects.equals(history, s.history) && Objects.equals(surge, s.surge);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), phase, containerID, imageDigest, pid, exitCode, reason,
                restartCount, startedAt, finishedAt, nextRestartAt, cgroupPath, limits, started, probes, history,
                surge);
    }
}
