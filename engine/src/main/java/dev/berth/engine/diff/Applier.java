package dev.berth.engine.diff;

import dev.berth.engine.mount.Mount;
import dev.berth.engine.oci.Descriptor;
import java.io.InputStream;
import java.util.List;

/**
 * Applies a layer (a possibly compressed tar) onto the snapshot that {@code mounts} describe, with
 * containerd's semantics: whiteouts, hardlinks, devices, owners, modes, times, xattrs; nothing is
 * ever written outside the snapshot. Implementations are thread-safe; concurrent applies into
 * different snapshots are allowed.
 */
public interface Applier {
    /**
     * Applies {@code blob} (the bytes of {@code layer}) and returns the digest and size of the
     * uncompressed stream, which the caller compares with the image config's diff_id. On failure
     * the snapshot is left partly written; the caller removes it.
     */
    AppliedLayer apply(Descriptor layer, InputStream blob, List<Mount> mounts);

    /**
     * Applies {@code blob} into {@code dir}, which will become an overlay upper directory, without
     * its lower layers: whiteouts in overlay form; the directories made as parents are reported in
     * {@link AppliedLayer#createdParents()} for {@link ParentCopyUp#fix} once the lowers exist. Lets
     * independent layers be applied in parallel.
     */
    AppliedLayer applyDetached(Descriptor layer, InputStream blob, java.nio.file.Path dir);
}
