package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.rootfs.ContainerRootfs;
import java.nio.file.Path;

/**
 * Prepares a container's root filesystem from an image for {@code berth run IMAGE ID}: resolve the
 * image, make an active snapshot on its chain and mount it at {@code target}, through the engine's
 * {@link ContainerRootfs}, which the Container reconciler uses as well.
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

    /** The snapshot key of {@code berth run}'s rootfs for task {@code namespace/id}. */
    static String key(String namespace, String id) {
        return "run/" + namespace + "/" + id;
    }

    /**
     * The implementation in use: the engine's {@link ContainerRootfs} (unpack when needed, active
     * snapshot {@code run/<namespace>/<id>} on the image's top chainID, mounted at {@code target})
     * in the configured snapshotter, for the host platform. The reference is normalised
     * ({@code busybox} is {@code docker.io/library/busybox:latest}) as image records are named.
     */
    static ImageRootfs current() {
        return (engine, namespace, id, image, target) -> {
            ContainerRootfs rootfs = engine.containerRootfs();
            String snapshotter = engine.snapshotter().name();
            String name = Reference.parse(image).toString();
            try {
                engine.images().get(name);
            } catch (BerthException e) {
                if (e.category() == ErrorCategory.NOT_FOUND) {
                    throw BerthException.notFound("image %s is not in the image store; pull or import it first "
                            + "(berth pull %s)", name, image);
                }
                throw e;
            }
            if (rootfs.exists(snapshotter, key(namespace, id))) {
                throw BerthException.alreadyExists("snapshot %s of a previous 'berth run' of %s/%s exists in %s; "
                        + "remove it with: berth snapshots rm %s", key(namespace, id), namespace, id, snapshotter,
                        key(namespace, id));
            }
            ContainerRootfs.Prepared p = rootfs.prepare(name, snapshotter, Platforms.defaultMatcher(),
                    key(namespace, id), target);
            ImageConfig config = p.image().config();
            return new Prepared() {
                @Override
                public Path rootfs() {
                    return target;
                }

                @Override
                public ImageConfig config() {
                    return config;
                }

                @Override
                public void close() {
                    rootfs.remove(snapshotter, key(namespace, id), target);
                }
            };
        };
    }
}
