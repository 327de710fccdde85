package dev.berth.crd.container;

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
 * A container run from an Image under conmon and runc, with resource limits, a restart policy and
 * a desired state. Mutable bean, not thread-safe.
 */
@Group(Berth.GROUP)
@Version(Berth.VERSION)
@Kind("Container")
@ShortNames("bctr")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Restarts", jsonPath = ".status.restartCount",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Image", jsonPath = ".spec.image", priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class Container extends CustomResource<ContainerSpec, ContainerStatus> implements Namespaced, BerthObject, Cloneable {
    private static final long serialVersionUID = 1L;

    @Override
    public Container shallowCopy() {
        return BerthObject.cloned(super::clone);
    }
}
