package dev.berth.crd.sandbox;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Desired state of a {@link Sandbox}. Immutable.
 *
 * @param hostname UTS hostname; the object name when absent
 * @param network Cni (default), Host or None
 * @param nodeName in Kubernetes mode, the node whose agent handles this object
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SandboxSpec(String hostname, Sandbox.NetworkMode network, String nodeName) {
    public SandboxSpec {
        if (network == null) {
            network = Sandbox.NetworkMode.Cni;
        }
    }
}
