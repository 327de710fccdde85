package dev.berth.controller.grpc;

import dev.berth.engine.runtime.logs.CriLog;
import java.nio.file.Path;
import java.util.function.LongSupplier;

/**
 * The pause between two looks of a log follower ({@link CriLog.Pause}) that copies a log to a
 * client: it sleeps until conmon writes the log ({@link LogWakeups}), {@link #wake} is called, or the
 * interval {@code waitMillis} gives at that moment has passed (at most {@link #UNWATCHED_MILLIS} for
 * a log whose writes cannot wake it); a write since the last look skips the sleep. {@link #close}
 * stops the log's wake-ups. Thread-safe.
 */
final class LogPause implements CriLog.Pause, AutoCloseable {
    /** The longest sleep when the log's writes cannot wake it (its directory is not watched). */
    static final long UNWATCHED_MILLIS = 1000;
    private final Object lock = new Object();
    private final LongSupplier waitMillis;
    private final AutoCloseable listener;
    private final boolean woken;
    private boolean written;

    LogPause(Path log, LongSupplier waitMillis) {
        this.waitMillis = waitMillis;
        this.listener = LogWakeups.get().onChange(log, () -> {
            synchronized (lock) {
                written = true;
                lock.notifyAll();
            }
        });
        this.woken = LogWakeups.get().watches(log);
    }

    @Override
    public void pause() throws InterruptedException {
        synchronized (lock) {
            if (!written) {
                long wait = waitMillis.getAsLong();
                lock.wait(woken ? wait : Math.min(wait, UNWATCHED_MILLIS));
            }
            written = false;
        }
    }

    /** Ends a sleep in progress now: something the follower looks at (an exit) has changed. */
    void wake() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (Exception e) {
            // the listener is gone with the watcher
        }
    }
}
