package dev.berth.crd.sandbox;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import java.util.List;

/**
 * Desired state of a {@link Sandbox}. Immutable. Every field except {@code nodeName} shapes the
 * namespaces and network the pause container holds, so a change rebuilds the sandbox (and restarts
 * the Containers in it).
 *
 * @param hostname UTS hostname; the object name when absent (not allowed with network Host)
 * @param network Cni (default), Host or None
 * @param ports host ports published to the sandbox's address through the CNI portmap plugin
 * @param dns resolver settings written to the sandbox's /etc/resolv.conf; the host's when absent
 * @param hostAliases extra /etc/hosts entries
 * @param shareProcessNamespace Containers in the sandbox share one PID namespace (the pause
 *        process is PID 1 and reaps their orphans)
 * @param nodeName in Kubernetes mode, the node whose agent handles this object
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SandboxSpec(
        @JsonPropertyDescription("the sandbox's hostname; the object name when absent") String hostname,
        Sandbox.NetworkMode network,
        @JsonPropertyDescription("host ports forwarded to the sandbox (CNI portmap)") List<PortMapping> ports,
        @JsonPropertyDescription("resolv.conf contents; the host's resolv.conf when absent") Dns dns,
        @JsonPropertyDescription("extra /etc/hosts entries") List<HostAlias> hostAliases,
        @JsonPropertyDescription("containers in the sandbox share one PID namespace") boolean shareProcessNamespace,
        String nodeName) {

    public SandboxSpec {
        if (network == null) {
            network = Sandbox.NetworkMode.Cni;
        }
    }

    /** This spec without {@code nodeName} (the one field that does not shape the sandbox). */
    public SandboxSpec withoutNodeName() {
        return new SandboxSpec(hostname, network, ports, dns, hostAliases, shareProcessNamespace, null);
    }

    /** The mappings that publish a host port (empty when none). */
    public List<PortMapping> publishedPorts() {
        return ports == null ? List.of() : ports.stream().filter(p -> p != null && p.published()).toList();
    }

    /** A spec with only a hostname and network mode (the rest defaulted). */
    public static SandboxSpec of(String hostname, Sandbox.NetworkMode network) {
        return new SandboxSpec(hostname, network, null, null, null, false, null);
    }

    /** Transport protocols of a {@link PortMapping}, spelled as Kubernetes spells them. */
    public enum Protocol {
        TCP,
        UDP
    }

    /**
     * One published port, as a Kubernetes container port: traffic to {@code hostIP:hostPort} on the
     * host is forwarded to {@code containerPort} at the sandbox's address.
     *
     * @param containerPort port inside the sandbox, 1-65535
     * @param hostPort port on the host, 1-65535; when absent the port is only documented, not
     *        published (as in Kubernetes)
     * @param protocol TCP (default) or UDP
     * @param hostIP host address to bind; all addresses when absent
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PortMapping(
            @Required @JsonPropertyDescription("port inside the sandbox") Integer containerPort,
            @JsonPropertyDescription("port on the host") Integer hostPort,
            Protocol protocol,
            @JsonPropertyDescription("host address to bind; all when absent") String hostIP) {

        public PortMapping {
            if (protocol == null) {
                protocol = Protocol.TCP;
            }
        }

        /** Whether this mapping publishes a host port (rather than only naming a container port). */
        public boolean published() {
            return hostPort != null && hostPort != 0;
        }
    }

    /**
     * Resolver configuration (resolv.conf's nameserver, search and options lines).
     *
     * @param nameservers at most 3 IP addresses
     * @param searches search domains
     * @param options resolver options such as {@code ndots:5}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Dns(List<String> nameservers, List<String> searches, List<String> options) {
    }

    /**
     * An /etc/hosts line.
     *
     * @param ip the address
     * @param hostnames names that resolve to it
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HostAlias(@Required String ip, @Required List<String> hostnames) {
    }
}
