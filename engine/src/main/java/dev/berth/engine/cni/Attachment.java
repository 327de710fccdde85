package dev.berth.engine.cni;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One container's attachment to a network, what libcni calls a RuntimeConf: the container id, its
 * network namespace, the interface name to create there, {@code CNI_ARGS} (ordered; kubelet's
 * {@code IgnoreUnknown}, {@code K8S_POD_*}) and the runtime-config capability arguments
 * ({@code portMappings}, {@code ips}, {@code dns}, ...) that plugins receive only when their
 * configuration declares the capability. {@code netns} is null only for a DEL after the namespace
 * went away ({@link #withoutNetns}). Immutable.
 */
public record Attachment(String containerId, Path netns, String ifName, Map<String, String> args,
        Map<String, Object> capabilityArgs) {
    public Attachment {
        args = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(args));
        capabilityArgs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(capabilityArgs));
    }

    /**
     * The same attachment without a network namespace ({@code CNI_NETNS} empty): what a DEL sends
     * once the namespace is gone, as containerd does for a closed one; plugins then release what
     * they hold outside it (IPAM reservations, host-side rules) and skip the rest.
     */
    public Attachment withoutNetns() {
        return new Attachment(containerId, null, ifName, args, capabilityArgs);
    }

    /** {@code CNI_NETNS}: the namespace's path, or empty without one. */
    public String netnsValue() {
        return netns == null ? "" : netns.toString();
    }

    /** {@code CNI_ARGS}: {@code K=V} pairs joined with ';'. */
    public String cniArgs() {
        StringBuilder b = new StringBuilder();
        args.forEach((k, v) -> b.append(b.length() == 0 ? "" : ";").append(k).append('=').append(v));
        return b.toString();
    }
}
