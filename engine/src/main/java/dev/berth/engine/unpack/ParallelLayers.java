package dev.berth.engine.unpack;

import dev.berth.engine.content.ContentStore;
import dev.berth.engine.diff.AppliedLayer;
import dev.berth.engine.diff.Applier;
import dev.berth.engine.diff.ParentCopyUp;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.snapshots.LocalSnapshotter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Applies the missing layers of one image at the same time, each into a scratch directory of an
 * overlay snapshotter (an upper directory needs nothing from the layers below it), and hands them
 * over bottom-up: the caller prepares each snapshot from its scratch directory on the committed
 * parent, fixes the attributes of directories the layer made as parents, and commits. Not
 * thread-safe; one instance per unpack.
 */
final class ParallelLayers implements AutoCloseable {
    /** A layer applied into {@code dir}. */
    record Built(Path dir, AppliedLayer applied) {
    }

    private static final AtomicInteger THREADS = new AtomicInteger();
    private final ExecutorService pool;
    private final Future<Built>[] futures;
    private final boolean[] taken;

    @SuppressWarnings("unchecked")
    ParallelLayers(int threads, int layers) {
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "berth-unpack-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.futures = new Future[layers];
        this.taken = new boolean[layers];
    }

    /** Starts applying layer {@code i}. */
    void start(int i, LocalSnapshotter sn, ContentStore content, Applier applier, Descriptor layer) {
        Callable<Built> task = () -> {
            Path dir = sn.scratchDir();
            try (InputStream in = content.open(layer.digest())) {
                return new Built(dir, applier.applyDetached(layer, in, dir));
            } catch (IOException e) {
                FileTree.deleteRecursively(dir);
                throw BerthException.internal("reading layer " + layer.digest() + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                FileTree.deleteRecursively(dir);
                throw e;
            }
        };
        futures[i] = pool.submit(task);
    }

    /** Waits for layer {@code i}; the caller owns its directory afterwards. */
    Built take(int i) {
        taken[i] = true;
        try {
            return futures[i].get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw BerthException.internal("applying layer " + i + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw BerthException.internal("interrupted while unpacking", e);
        }
    }

    /** After the layer's snapshot was prepared from its directory: copies parent attributes from below. */
    static void fixParents(Built b, List<Mount> mounts) {
        Mount m = mounts.get(0);
        if (m.type().equals("overlay") && m.option("upperdir").isPresent()) {
            ParentCopyUp.fix(Path.of(m.option("upperdir").get()), b.applied().createdParents(), m.lowerDirs());
        }
    }

    /** Waits for layers nobody took (after a failure) and deletes their directories. */
    @Override
    public void close() {
        pool.shutdown();
        for (int i = 0; i < futures.length; i++) {
            if (futures[i] != null && !taken[i]) {
                try {
                    FileTree.deleteRecursively(futures[i].get().dir());
                } catch (ExecutionException | RuntimeException e) {
                    // its task already cleaned up
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
