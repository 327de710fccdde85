package dev.berth.crd.sandbox;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.berth.crd.quantity.QuantityDeserializer;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.List;
import tools.jackson.databind.annotation.JsonDeserialize;

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
 * @param ips addresses requested for the sandbox's interface ({@code 10.88.0.7} or with a prefix,
 *        {@code 10.88.0.7/24}; at most one per family), passed to plugins that declare the CNI
 *        {@code ips} capability (host-local, static) as {@code runtimeConfig.ips}
 * @param bandwidth traffic shaping through the CNI bandwidth plugin ({@code runtimeConfig.bandwidth}),
 *        as kubelet maps the {@code kubernetes.io/ingress-bandwidth} and
 *        {@code kubernetes.io/egress-bandwidth} annotations
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
        @JsonPropertyDescription("addresses requested for the sandbox's interface (CNI ips capability)") List<String> ips,
        @JsonPropertyDescription("ingress/egress rate and burst (CNI bandwidth plugin)") Bandwidth bandwidth,
        String nodeName) {

    public SandboxSpec {
        if (network == null) {
            network = Sandbox.NetworkMode.Cni;
        }
    }

    /** A spec without requested addresses or bandwidth limits. */
    public SandboxSpec(String hostname, Sandbox.NetworkMode network, List<PortMapping> ports, Dns dns,
            List<HostAlias> hostAliases, boolean shareProcessNamespace, String nodeName) {
        this(hostname, network, ports, dns, hostAliases, shareProcessNamespace, null, null, nodeName);
    }

    /** This spec without {@code nodeName} (the one field that does not shape the sandbox). */
    public SandboxSpec withoutNodeName() {
        return new SandboxSpec(hostname, network, ports, dns, hostAliases, shareProcessNamespace, ips, bandwidth, null);
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
     * Traffic shaping of the sandbox's interface, in Kubernetes quantities: rates in bits per
     * second ({@code 10M} = 10 Mbit/s, the unit of kubelet's {@code kubernetes.io/ingress-bandwidth}
     * annotation), bursts in bits. Ingress is traffic into the sandbox, egress out of it. A rate
     * without a burst gets the largest burst the bandwidth plugin accepts in one go, 4294967295
     * bits, as containerd's CRI plugin sets for the annotations.
     *
     * @param ingressRate limit of traffic into the sandbox, 1k-1P bits/s
     * @param ingressBurst bucket size for ingress, in bits (needs ingressRate)
     * @param egressRate limit of traffic out of the sandbox, 1k-1P bits/s
     * @param egressBurst bucket size for egress, in bits (needs egressRate)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Bandwidth(
            @JsonPropertyDescription("bits per second into the sandbox, e.g. 10M") @SchemaFrom(type = IntOrString.class)
            @JsonDeserialize(using = QuantityDeserializer.class) String ingressRate,
            @JsonPropertyDescription("ingress burst in bits") @SchemaFrom(type = IntOrString.class)
            @JsonDeserialize(using = QuantityDeserializer.class) String ingressBurst,
            @JsonPropertyDescription("bits per second out of the sandbox, e.g. 1M") @SchemaFrom(type = IntOrString.class)
            @JsonDeserialize(using = QuantityDeserializer.class) String egressRate,
            @JsonPropertyDescription("egress burst in bits") @SchemaFrom(type = IntOrString.class)
            @JsonDeserialize(using = QuantityDeserializer.class) String egressBurst) {
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
