package dev.berth.engine.cni;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One container's attachment to a network, what libcni calls a RuntimeConf: the container id, its
 * network namespace, the interface name to create there, {@code CNI_ARGS} (ordered; kubelet's
 * {@code IgnoreUnknown}, {@code K8S_POD_*}) and the runtime-config capability arguments
 * ({@code portMappings}, {@code ips}, {@code dns}, ...) that plugins receive only when their
 * configuration declares the capability. Immutable.
 */
public record Attachment(String containerId, Path netns, String ifName, Map<String, String> args,
        Map<String, Object> capabilityArgs) {
    public Attachment {
        args = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(args));
        capabilityArgs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(capabilityArgs));
    }

    /** {@code CNI_ARGS}: {@code K=V} pairs joined with ';'. */
    public String cniArgs() {
        StringBuilder b = new StringBuilder();
        args.forEach((k, v) -> b.append(b.length() == 0 ? "" : ";").append(k).append('=').append(v));
        return b.toString();
    }
}
