package dev.berth.crd.image;

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
 * An image that should be present on the node: pulled (per {@link PullPolicy}) into the content
 * store and unpacked into a snapshotter. Mutable bean, not thread-safe.
 */
@Group(Berth.GROUP)
@Version(Berth.VERSION)
@Kind("Image")
@ShortNames("bimg")
@AdditionalPrinterColumn(name = "Ref", jsonPath = ".spec.ref")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Digest", jsonPath = ".status.digest", priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class Image extends CustomResource<ImageSpec, ImageStatus> implements Namespaced, BerthObject, Cloneable {
    private static final long serialVersionUID = 1L;

    @Override
    public Image shallowCopy() {
        return BerthObject.cloned(super::clone);
    }
}
