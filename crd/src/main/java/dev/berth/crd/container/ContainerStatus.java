package dev.berth.crd.container;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.berth.crd.status.BerthStatus;
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

    public ContainerPhase getPhase() {
        return phase;
    }

    public void setPhase(ContainerPhase phase) {
        this.phase = phase;
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
                && Objects.equals(cgroupPath, s.cgroupPath) && Objects.equals(limits, s.limits);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), phase, containerID, imageDigest, pid, exitCode, reason,
                restartCount, startedAt, finishedAt, nextRestartAt, cgroupPath, limits);
    }
}
