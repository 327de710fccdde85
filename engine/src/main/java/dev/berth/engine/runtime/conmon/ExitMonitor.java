package dev.berth.engine.runtime.conmon;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches conmon's exit directories ({@code <state>/exits/<namespace>/}) with inotify and calls
 * back with (namespace, id) when an exit file appears; every {@code scanInterval} it also runs a
 * full scan, which catches lost events and monitors that died without writing a file. One daemon
 * thread. Thread-safe.
 */
final class ExitMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExitMonitor.class);

    private final Path exitsRoot;
    private final BiConsumer<String, String> onExitFile;
    private final Runnable scan;
    private final long scanMillis;
    private final WatchService watcher;
    private final Map<String, WatchKey> watched = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;

    ExitMonitor(Path exitsRoot, BiConsumer<String, String> onExitFile, Runnable scan, long scanMillis) {
        this.exitsRoot = exitsRoot;
        this.onExitFile = onExitFile;
        this.scan = scan;
        this.scanMillis = scanMillis;
        try {
            this.watcher = FileSystems.getDefault().newWatchService();
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a file watcher", e);
        }
        this.thread = new Thread(this::loop, "berth-exit-monitor");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** The exit directory of {@code namespace}, created and watched. */
    Path watch(String namespace) throws IOException {
        Path dir = exitsRoot.resolve(namespace);
        if (!watched.containsKey(namespace)) {
            Files.createDirectories(dir);
            synchronized (watched) {
                if (!watched.containsKey(namespace)) {
                    watched.put(namespace, dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE,
                            StandardWatchEventKinds.ENTRY_MODIFY));
                }
            }
        }
        return dir;
    }

    private void loop() {
        long nextScan = 0;
        while (!closed) {
            try {
                long now = System.nanoTime();
                if (now >= nextScan) {
                    scan.run();
                    nextScan = now + TimeUnit.MILLISECONDS.toNanos(scanMillis);
                }
                WatchKey key = watcher.poll(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextScan - System.nanoTime())),
                        TimeUnit.MILLISECONDS);
                if (key == null) {
                    continue;
                }
                Path dir = (Path) key.watchable();
                String namespace = dir.getFileName().toString();
                for (WatchEvent<?> ev : key.pollEvents()) {
                    if (ev.kind() == StandardWatchEventKinds.OVERFLOW) {
                        nextScan = 0;
                        continue;
                    }
                    String name = ev.context().toString();
                    onExitFile.accept(namespace, name);
                }
                if (!key.reset()) {
                    watched.remove(namespace);
                }
            } catch (ClosedWatchServiceException e) {
                return;
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("exit monitor: {}", e.toString(), e);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            watcher.close();
        } catch (IOException e) {
            LOG.debug("closing watcher", e);
        }
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
