package dev.berth.engine.images;

import dev.berth.engine.oci.Descriptor;
import java.util.List;

/**
 * Which blobs an image needs for one platform and which of them the content store holds, as
 * {@code ctr images check} reports it. {@code required} is what could be determined: the target,
 * the chosen manifest, its config and layers (a missing manifest hides its children). Immutable.
 */
public record ContentCheck(List<Descriptor> required, List<Descriptor> present, List<Descriptor> missing) {
    public ContentCheck {
        required = List.copyOf(required);
        present = List.copyOf(present);
        missing = List.copyOf(missing);
    }

    /** True when nothing required is missing and the manifest was found. */
    public boolean complete() {
        return missing.isEmpty();
    }
}
