package dev.berth.crd.snapshot;

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
 * A filesystem snapshot prepared from an image's unpacked layers (or from another Snapshot),
 * optionally kept mounted at a host path. Mutable bean, not thread-safe.
 */
@Group(Berth.GROUP)
@Version(Berth.VERSION)
@Kind("Snapshot")
@ShortNames("bsnap")
@AdditionalPrinterColumn(name = "Kind", jsonPath = ".spec.kind")
@AdditionalPrinterColumn(name = "Mounted", jsonPath = ".status.mounted")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class Snapshot extends CustomResource<SnapshotSpec, SnapshotStatus> implements Namespaced, BerthObject, Cloneable {
    private static final long serialVersionUID = 1L;

    @Override
    public Snapshot shallowCopy() {
        return BerthObject.cloned(super::clone);
    }
}
