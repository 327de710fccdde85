package dev.berth.reconcilers.image;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.snapshots.Snapshotter;
import java.util.List;

/**
 * Checks that the committed snapshots of an unpacked layer chain are really there (the metadata
 * and the layer's directory on disk), and removes a broken chain from the first damaged layer up so
 * that the unpacker rebuilds it. Stateless.
 */
public final class SnapshotChains {
    private SnapshotChains() {
    }

    /** Index of the first chainID whose snapshot is missing or has lost its directory; -1 when all are intact. */
    public static int firstBroken(Snapshotter sn, List<Digest> chainIds) {
        for (int i = 0; i < chainIds.size(); i++) {
            String name = chainIds.get(i).toString();
            try {
                sn.stat(name);
            } catch (BerthException e) {
                if (e.category() == ErrorCategory.NOT_FOUND) {
                    return i;
                }
                throw e;
            }
            if (!sn.filesPresent(name)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Removes the snapshots of {@code chainIds} from the top down to index {@code from}, skipping
     * those already gone. A layer some other snapshot still builds on (a container's rootfs) makes
     * this fail with FAILED_PRECONDITION naming it.
     */
    public static void removeFrom(Snapshotter sn, List<Digest> chainIds, int from) {
        for (int i = chainIds.size() - 1; i >= from; i--) {
            try {
                sn.remove(chainIds.get(i).toString());
            } catch (BerthException e) {
                if (e.category() != ErrorCategory.NOT_FOUND) {
                    throw e.wrap("removing damaged layer snapshot " + chainIds.get(i));
                }
            }
        }
    }
}
