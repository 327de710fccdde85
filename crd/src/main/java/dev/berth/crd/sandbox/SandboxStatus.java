package dev.berth.crd.sandbox;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.berth.crd.status.BerthStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Observed state of a {@link Sandbox}. Mutable bean, not thread-safe. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SandboxStatus extends BerthStatus {
    private String phase;
    private Integer pid;
    private String netnsPath;
    private String ip;
    private List<String> ips;
    private List<NetworkInterface> interfaces;
    private List<SandboxSpec.PortMapping> ports;
    private String pauseImage;
    private String pauseImageDigest;

    /**
     * One interface the CNI result reported.
     *
     * @param name interface name (e.g. eth0, or the host-side veth)
     * @param mac hardware address, when known
     * @param sandbox the netns path when the interface is inside the sandbox; absent for host-side ones
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record NetworkInterface(String name, String mac, String sandbox) {
    }

    /** Pending, Ready or NotReady. */
    public String getPhase() {
        return phase;
    }

    public void setPhase(String phase) {
        this.phase = phase;
    }

    @Override
    @com.fasterxml.jackson.annotation.JsonIgnore
    public String phaseName() {
        return phase;
    }

    /** Host pid of the pause process. */
    public Integer getPid() {
        return pid;
    }

    public void setPid(Integer pid) {
        this.pid = pid;
    }

    /** Path of the network namespace pinned under Berth's state directory. */
    public String getNetnsPath() {
        return netnsPath;
    }

    public void setNetnsPath(String netnsPath) {
        this.netnsPath = netnsPath;
    }

    /** The first IP address assigned by CNI (IPv4 when there is one). */
    public String getIp() {
        return ip;
    }

    public void setIp(String ip) {
        this.ip = ip;
    }

    /** Every address assigned by CNI, in the result's order, without prefix length. */
    public List<String> getIps() {
        return ips;
    }

    public void setIps(List<String> ips) {
        this.ips = ips == null ? null : new ArrayList<>(ips);
    }

    /** Interfaces from the CNI result. */
    public List<NetworkInterface> getInterfaces() {
        return interfaces;
    }

    public void setInterfaces(List<NetworkInterface> interfaces) {
        this.interfaces = interfaces == null ? null : new ArrayList<>(interfaces);
    }

    /** Host ports in force (sent to portmap with the last successful ADD). */
    public List<SandboxSpec.PortMapping> getPorts() {
        return ports;
    }

    public void setPorts(List<SandboxSpec.PortMapping> ports) {
        this.ports = ports == null ? null : new ArrayList<>(ports);
    }

    /** Reference of the pause image the running pause container was made from. */
    public String getPauseImage() {
        return pauseImage;
    }

    public void setPauseImage(String pauseImage) {
        this.pauseImage = pauseImage;
    }

    /** Manifest digest of {@link #getPauseImage()}. */
    public String getPauseImageDigest() {
        return pauseImageDigest;
    }

    public void setPauseImageDigest(String pauseImageDigest) {
        this.pauseImageDigest = pauseImageDigest;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof SandboxStatus s && Objects.equals(phase, s.phase)
                && Objects.equals(pid, s.pid) && Objects.equals(netnsPath, s.netnsPath)
                && Objects.equals(ip, s.ip) && Objects.equals(ips, s.ips)
                && Objects.equals(interfaces, s.interfaces) && Objects.equals(ports, s.ports)
                && Objects.equals(pauseImage, s.pauseImage) && Objects.equals(pauseImageDigest, s.pauseImageDigest);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), phase, pid, netnsPath, ip, ips, interfaces, ports, pauseImage,
                pauseImageDigest);
    }
}
