package dev.berth.reconcilers.sandbox;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.sandbox.Bandwidths;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.crd.sandbox.SandboxSpec;
import dev.berth.engine.sandbox.HostPorts;
import dev.berth.engine.sandbox.SandboxFiles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a Sandbox spec asks of the node, in the engine's terms: the CNI arguments kubelet passes
 * ({@code CNI_ARGS}), the runtime-config capabilities ({@code portMappings}, {@code dns}) in the
 * shape the CNI conventions give them, the host ports to check, and the sandbox's files.
 * Stateless and thread-safe.
 */
public final class SandboxRequests {
    private SandboxRequests() {
    }

    /** The sandbox's hostname: spec.hostname, else the object name (as kubelet uses the pod name). */
    public static String hostname(Sandbox sb) {
        SandboxSpec s = sb.getSpec();
        return s != null && s.hostname() != null ? s.hostname() : sb.getMetadata().getName();
    }

    /**
     * {@code CNI_ARGS} as kubelet passes them, {@code IgnoreUnknown=1} first so that plugins that
     * do not know the K8S_ keys accept them.
     */
    public static Map<String, String> cniArgs(ObjectRef sandbox, String pauseContainerId) {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("IgnoreUnknown", "1");
        a.put("K8S_POD_NAMESPACE", sandbox.namespace());
        a.put("K8S_POD_NAME", sandbox.name());
        a.put("K8S_POD_INFRA_CONTAINER_ID", pauseContainerId);
        return a;
    }

    /** The published ports as portmap receives them. */
    public static List<HostPorts.Mapping> mappings(SandboxSpec spec) {
        List<HostPorts.Mapping> out = new ArrayList<>();
        for (SandboxSpec.PortMapping p : spec.publishedPorts()) {
            out.add(new HostPorts.Mapping(p.hostPort(), p.containerPort(), p.protocol().name(), p.hostIP()));
        }
        return out;
    }

    /** {@link #capabilityArgs(SandboxSpec, SandboxSpec.Bandwidth)} of {@code sb}, its bandwidth annotations included. */
    public static Map<String, Object> capabilityArgs(Sandbox sb) {
        return capabilityArgs(sb.getSpec(), Bandwidths.of(sb));
    }

    /** {@link #capabilityArgs(SandboxSpec, SandboxSpec.Bandwidth)} with the spec's own bandwidth. */
    public static Map<String, Object> capabilityArgs(SandboxSpec spec) {
        return capabilityArgs(spec, spec.bandwidth());
    }

    /**
     * The {@code runtimeConfig} capability arguments, in the CNI conventions' shapes:
     * {@code portMappings} (hostPort, containerPort, protocol in lower case, hostIP when set),
     * {@code dns} (servers, searches, options), {@code ips} (the requested addresses) and
     * {@code bandwidth} (ingressRate/ingressBurst/egressRate/egressBurst in bits, a rate without a
     * burst getting {@link Bandwidths#DEFAULT_BURST}), each when set. A plugin receives only the
     * capabilities its config enables. {@code spec} is valid (validation ran).
     */
    public static Map<String, Object> capabilityArgs(SandboxSpec spec, SandboxSpec.Bandwidth bandwidth) {
        Map<String, Object> rc = new LinkedHashMap<>();
        List<Map<String, Object>> ports = new ArrayList<>();
        for (HostPorts.Mapping m : mappings(spec)) {
            ports.add(m.toCni());
        }
        if (!ports.isEmpty()) {
            rc.put("portMappings", ports);
        }
        SandboxSpec.Dns d = spec.dns();
        if (d != null && (notEmpty(d.nameservers()) || notEmpty(d.searches()) || notEmpty(d.options()))) {
            Map<String, Object> dns = new LinkedHashMap<>();
            dns.put("servers", orEmpty(d.nameservers()));
            dns.put("searches", orEmpty(d.searches()));
            dns.put("options", orEmpty(d.options()));
            rc.put("dns", dns);
        }
        if (notEmpty(spec.ips())) {
            rc.put("ips", spec.ips());
        }
        if (bandwidth != null) {
            Map<String, Object> bw = new LinkedHashMap<>();
            limit(bw, "ingress", bandwidth.ingressRate(), bandwidth.ingressBurst());
            limit(bw, "egress", bandwidth.egressRate(), bandwidth.egressBurst());
            if (!bw.isEmpty()) {
                rc.put("bandwidth", bw);
            }
        }
        return rc;
    }

    private static void limit(Map<String, Object> bw, String direction, String rate, String burst) {
        if (rate != null) {
            bw.put(direction + "Rate", Bandwidths.bits(rate));
            bw.put(direction + "Burst", burst == null ? Bandwidths.DEFAULT_BURST : Bandwidths.bits(burst));
        }
    }

    /**
     * Why the network did not honour spec.ips, or empty: an address asked for that the result does
     * not hold means no plugin of the list declares the {@code ips} capability (libcni then drops
     * the request silently), so the sandbox would run on an address nobody asked for.
     */
    public static Optional<String> ipsNotAssigned(SandboxSpec spec, List<String> assigned) {
        if (spec == null || !notEmpty(spec.ips())) {
            return Optional.empty();
        }
        for (String want : spec.ips()) {
            String addr = want.contains("/") ? want.substring(0, want.indexOf('/')) : want;
            if (assigned.stream().noneMatch(a -> sameAddress(a, addr))) {
                return Optional.of("spec.ips: " + want + " was requested but the CNI network assigned "
                        + (assigned.isEmpty() ? "nothing" : String.join(", ", assigned)) + "; declare \"capabilities\":"
                        + " {\"ips\": true} on the plugin whose IPAM is host-local or static in the conflist, and"
                        + " request an address inside its range");
            }
        }
        return Optional.empty();
    }

    private static boolean sameAddress(String a, String b) {
        try {
            return java.net.InetAddress.getByName(a).equals(java.net.InetAddress.getByName(b));
        } catch (java.net.UnknownHostException e) {
            return a.equalsIgnoreCase(b);
        }
    }

    /**
     * Why {@code me} cannot have its host ports: another live Sandbox on this node publishes an
     * overlapping one (named in the message with both fields and the fix), or empty. Objects being
     * deleted still hold their ports until their cleanup has run.
     */
    public static Optional<String> conflictWithOtherSandboxes(Sandbox me, List<Sandbox> all) {
        List<HostPorts.Mapping> mine = me.getSpec() == null ? List.of() : mappings(me.getSpec());
        if (mine.isEmpty()) {
            return Optional.empty();
        }
        ObjectRef self = ObjectRef.of(me);
        for (Sandbox other : all) {
            if (ObjectRef.of(other).equals(self) || other.getSpec() == null
                    || other.getSpec().network() != Sandbox.NetworkMode.Cni) {
                continue;
            }
            var hit = HostPorts.overlap(mine, mappings(other.getSpec()));
            if (hit.isPresent()) {
                return Optional.of("spec.ports: host port " + hit.get()[0] + " is already published by Sandbox "
                        + other.getMetadata().getNamespace() + "/" + other.getMetadata().getName() + " ("
                        + hit.get()[1] + "); choose another hostPort or remove it from one of them");
            }
        }
        return Optional.empty();
    }

    /** Why a host process stops {@code spec}'s ports from working, or empty. */
    public static Optional<String> conflictWithHostProcesses(SandboxSpec spec) {
        for (HostPorts.Mapping m : mappings(spec)) {
            if (HostPorts.heldByProcess(m)) {
                return Optional.of("spec.ports: host port " + m + " is in use by a process on the host (see ss -lntup"
                        + " | grep :" + m.hostPort() + "); stop it or choose another hostPort");
            }
        }
        return Optional.empty();
    }

    /** spec.hostAliases as /etc/hosts entries. */
    public static List<SandboxFiles.HostEntry> hostEntries(SandboxSpec spec) {
        List<SandboxFiles.HostEntry> out = new ArrayList<>();
        if (spec != null && spec.hostAliases() != null) {
            for (SandboxSpec.HostAlias a : spec.hostAliases()) {
                out.add(new SandboxFiles.HostEntry(a.ip(), a.hostnames()));
            }
        }
        return out;
    }

    /** spec.dns as the resolver settings merged over the host's. */
    public static SandboxFiles.Dns dns(SandboxSpec spec) {
        if (spec == null || spec.dns() == null) {
            return SandboxFiles.Dns.NONE;
        }
        return new SandboxFiles.Dns(spec.dns().nameservers(), spec.dns().searches(), spec.dns().options());
    }

    private static boolean notEmpty(List<String> l) {
        return l != null && !l.isEmpty();
    }

    private static List<String> orEmpty(List<String> l) {
        return l == null ? List.of() : l;
    }
}
