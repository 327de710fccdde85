package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.ImageConfig;
import java.nio.file.Path;

/**
 * Prepares a container's root filesystem from an image for {@code berth run IMAGE ID}: resolve the
 * image, make an active snapshot on its chain and mount it at {@code target}. The hook the image and
 * snapshot components plug into; until they do, {@code berth run --rootfs DIR} is the way in.
 */
interface ImageRootfs {

    /** A mounted rootfs and the image config that goes with it. */
    interface Prepared extends AutoCloseable {
        Path rootfs();

        ImageConfig config();

        /** Unmounts and removes the snapshot (after the task is deleted). */
        @Override
        void close();
    }

    Prepared prepare(Engine engine, String namespace, String id, String image, Path target);

    /** The implementation in use. */
    static ImageRootfs current() {
        return (engine, namespace, id, image, target) -> {
            throw new BerthException(ErrorCategory.NOT_IMPLEMENTED, "running image " + image
                    + " needs the image and snapshot components, which this build does not wire into "
                    + "'berth run' yet; run an unpacked root filesystem with: berth run --rootfs DIR " + id + " CMD...");
        };
    }
}
