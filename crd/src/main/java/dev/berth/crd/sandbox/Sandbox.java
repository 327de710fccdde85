package dev.berth.crd.sandbox;

import dev.berth.crd.Berth;
import dev.berth.crd.status.BerthObject;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A pod sandbox: a pause container holding network, IPC and UTS namespaces that Containers join.
 * Mutable bean, not thread-safe.
 */
@Group(Berth.GROUP)
@Version(Berth.VERSION)
@Kind("Sandbox")
@ShortNames("bsb")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase")
@AdditionalPrinterColumn(name = "IP", jsonPath = ".status.ip")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class Sandbox extends CustomResource<SandboxSpec, SandboxStatus> implements Namespaced, BerthObject, Cloneable {
    private static final long serialVersionUID = 1L;

    /** Network setup of a sandbox. */
    public enum NetworkMode {
        /** A new network namespace configured by the CNI plugins from the config (the default). */
        Cni,
        /** The host's network namespace. */
        Host,
        /** A new network namespace with loopback only. */
        None
    }

    @Override
    public Sandbox shallowCopy() {
        return BerthObject.cloned(super::clone);
    }
}
