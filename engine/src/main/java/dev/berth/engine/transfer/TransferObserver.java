package dev.berth.engine.transfer;

import dev.berth.engine.errdefs.ErrorCategory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Told of every image pull and unpack the engine's pullers and unpacker do, whoever asked (the
 * Image reconciler, {@code berth pull}, the gRPC API): for metrics. Called on the working thread
 * after the work; implementations must be quick and thread-safe.
 */
public interface TransferObserver {
    /** A pull finished; {@code bytes} is what was downloaded (blobs already present count 0). */
    default void pulled(String ref, long bytes, Duration took) {
    }

    /** A pull failed with an error of {@code reason}'s category. */
    default void pullFailed(String ref, ErrorCategory reason, Duration took) {
    }

    /** An unpack into {@code snapshotter} finished, applying {@code applied} layers. */
    default void unpacked(String image, String snapshotter, long applied, Duration took) {
    }

    /** Observers added at run time, told in order; one failing does not stop the others. Thread-safe. */
    final class Set implements TransferObserver {
        private final List<TransferObserver> all = new CopyOnWriteArrayList<>();

        /** Adds {@code o}; the handle removes it. */
        public AutoCloseable add(TransferObserver o) {
            all.add(o);
            return () -> all.remove(o);
        }

        @Override
        public void pulled(String ref, long bytes, Duration took) {
            all.forEach(o -> safely(() -> o.pulled(ref, bytes, took)));
        }

        @Override
        public void pullFailed(String ref, ErrorCategory reason, Duration took) {
            all.forEach(o -> safely(() -> o.pullFailed(ref, reason, took)));
        }

        @Override
        public void unpacked(String image, String snapshotter, long applied, Duration took) {
            all.forEach(o -> safely(() -> o.unpacked(image, snapshotter, applied, took)));
        }

        private static void safely(Runnable r) {
            try {
                r.run();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(TransferObserver.class).warn("transfer observer failed", e);
            }
        }
    }
}
