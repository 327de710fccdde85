package dev.berth.controller.grpc;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes the followers of task logs when conmon writes to them (inotify through one
 * {@link WatchService} for every log directory), so a client's output copy ({@link TaskOutput})
 * sleeps until there is something to copy instead of looking at the file every few milliseconds:
 * fifty detached {@code ctr run -d} containers cost no CPU while they are quiet. A wake-up can be
 * lost when a directory cannot be watched (it appears late), so followers of such a log look on
 * their own at a short interval ({@link #watches}); an overflow of inotify's queue wakes every
 * follower of the directory. One instance per process; thread-safe.
 */
final class LogWakeups {
    private static final Logger LOG = LoggerFactory.getLogger(LogWakeups.class);
    private static final LogWakeups INSTANCE = new LogWakeups();

    private final Map<Path, List<Runnable>> wakers = new ConcurrentHashMap<>();
    private final Map<Path, Boolean> watchedDirs = new ConcurrentHashMap<>();
    private volatile WatchService watcher;

    private LogWakeups() {
    }

    static LogWakeups get() {
        return INSTANCE;
    }

    /**
     * Calls {@code wake} (on the watcher's thread: it must only signal) whenever {@code file} is
     * created or written, until the handle is closed. When the directory cannot be watched, nothing
     * is called and the follower's own interval is all it gets.
     */
    AutoCloseable onChange(Path file, Runnable wake) {
        Path f = file.toAbsolutePath();
        wakers.computeIfAbsent(f, k -> new CopyOnWriteArrayList<>()).add(wake);
        try {
            watchDir(f.getParent());
        } catch (IOException | RuntimeException e) {
            LOG.debug("not watching {} ({}); its followers look at their own interval", f.getParent(), e.getMessage());
        }
        return () -> wakers.computeIfPresent(f, (k, l) -> {
            l.remove(wake);
            return l.isEmpty() ? null : l;
        });
    }

    /** Whether writes to {@code file} wake its followers: its directory is being watched. */
    boolean watches(Path file) {
        return watchedDirs.containsKey(file.toAbsolutePath().getParent());
    }

    private void watchDir(Path dir) throws IOException {
        if (watchedDirs.containsKey(dir)) {
            return;
        }
        synchronized (this) {
            if (watcher == null) {
                watcher = FileSystems.getDefault().newWatchService();
                Thread t = new Thread(this::run, "berth-log-wakeups");
                t.setDaemon(true);
                t.start();
            }
            if (!watchedDirs.containsKey(dir)) {
                dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
                watchedDirs.put(dir, Boolean.TRUE);
            }
        }
    }

    private void run() {
        while (true) {
            WatchKey key;
            try {
                key = watcher.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            Path dir = (Path) key.watchable();
            for (WatchEvent<?> ev : key.pollEvents()) {
                if (ev.kind() == StandardWatchEventKinds.OVERFLOW) {
                    // events were dropped: wake every follower of this directory
                    wakers.forEach((f, l) -> {
                        if (f.getParent().equals(dir)) {
                            l.forEach(Runnable::run);
                        }
                    });
                } else if (ev.context() instanceof Path name) {
                    List<Runnable> l = wakers.get(dir.resolve(name));
                    if (l != null) {
                        l.forEach(Runnable::run);
                    }
                }
            }
            if (!key.reset()) {
                watchedDirs.remove(dir);
            }
        }
    }
}
