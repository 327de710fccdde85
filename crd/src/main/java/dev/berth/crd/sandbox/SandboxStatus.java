package dev.berth.crd.sandbox;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.berth.crd.status.BerthStatus;
import java.util.Objects;

/** Observed state of a {@link Sandbox}. Mutable bean, not thread-safe. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SandboxStatus extends BerthStatus {
    private String phase;
    private Integer pid;
    private String netnsPath;
    private String ip;

    /** Pending, Ready or NotReady. */
    public String getPhase() {
        return phase;
    }

    public void setPhase(String phase) {
        this.phase = phase;
    }

    /** Host pid of the pause process. */
    public Integer getPid() {
        return pid;
    }

    public void setPid(Integer pid) {
        this.pid = pid;
    }

    /** Path of the pinned network namespace. */
    public String getNetnsPath() {
        return netnsPath;
    }

    public void setNetnsPath(String netnsPath) {
        this.netnsPath = netnsPath;
    }

    /** IP address assigned by CNI. */
    public String getIp() {
        return ip;
    }

    public void setIp(String ip) {
        this.ip = ip;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof SandboxStatus s && Objects.equals(phase, s.phase)
                && Objects.equals(pid, s.pid) && Objects.equals(netnsPath, s.netnsPath)
                && Objects.equals(ip, s.ip);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), phase, pid, netnsPath, ip);
    }
}
