package dev.berth.controller.source;

import dev.berth.crd.ObjectRef;
import dev.berth.controller.store.ObjectStore;
import dev.berth.controller.store.StoredObject;
import dev.berth.crd.codec.SpecText;
import dev.berth.engine.errdefs.BerthException;
import io.fabric8.kubernetes.client.CustomResource;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GitOps source: a directory of multi-document YAML files ({@code *.yaml}, {@code *.yml}, found
 * recursively, hidden files and directories skipped), kept in force in the {@link ObjectStore}.
 *
 * <p>Each object is owned by its file ({@code file:<absolute path>}). A scan applies every file
 * that decodes cleanly and prunes the objects a file no longer holds; a file that is removed has its
 * objects deleted. A file that fails to decode or validate keeps its last good objects in force and
 * reports the error, with file and line, in {@link #statuses()} and the log. The same object in two
 * files is an error on the later file (in path order). Scans run on {@link #rescan()} (periodic
 * resync) and, debounced, on file-system events while {@link #watch()} runs. Thread-safe: scans are
 * serialised.
 */
public final class ManifestDirectorySource implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ManifestDirectorySource.class);
    public static final String PREFIX = "file:";

    private final Path dir;
    private final ObjectStore store;
    private final ManifestDecoder decoder;
    private final Clock clock;
    private final Map<String, SourceStatus> statuses = new LinkedHashMap<>();
    /**
     * The last decode of each file with the bytes it came from: decoding is a function of the bytes
     * alone (no config enters it), so a periodic rescan of an unchanged file reuses the objects and
     * only re-applies them (which still restores a file's version over an API edit). The YAML parse
     * was about a quarter of an idle daemon's resync CPU.
     */
    private final Map<Path, Decoded> decoded = new HashMap<>();
    private volatile WatchService watcher;
    private Thread watchThread;

    private record Decoded(byte[] bytes, List<ManifestDecoder.Declared> declared) {
    }

    public ManifestDirectorySource(Path dir, ObjectStore store, ManifestDecoder decoder, Clock clock) {
        this.dir = dir.toAbsolutePath().normalize();
        this.store = store;
        this.decoder = decoder;
        this.clock = clock;
    }

    public Path directory() {
        return dir;
    }

    /** The state of every file seen in the last scan, in path order. */
    public synchronized List<SourceStatus> statuses() {
        return List.copyOf(statuses.values());
    }

    /** Scans the directory once and brings the store in line with it. */
    public synchronized void rescan() {
        List<Path> files = listFiles();
        Set<String> present = new HashSet<>();
        Map<ObjectRef, String> claimed = new HashMap<>();
        Map<String, SourceStatus> next = new LinkedHashMap<>();
        for (Path f : files) {
            String source = PREFIX + f;
            present.add(source);
            next.put(source, scanFile(f, source, claimed));
        }
        // files that disappeared: delete what they created
        for (StoredObject o : store.list(null)) {
            if (o.source().startsWith(PREFIX) && o.source().startsWith(PREFIX + dir + "/")
                    && !present.contains(o.source()) && !o.deleting()) {
                LOG.info("{} removed: deleting {}", o.source().substring(PREFIX.length()), o.key());
                store.requestDeletion(o.key());
            }
        }
        decoded.keySet().removeIf(f -> !present.contains(PREFIX + f));
        statuses.clear();
        statuses.putAll(next);
    }

    /** The file's declarations, decoded again only when its bytes changed since the last scan. */
    private List<ManifestDecoder.Declared> declare(Path f) throws IOException {
        byte[] bytes = Files.readAllBytes(f);
        Decoded last = decoded.get(f);
        if (last != null && Arrays.equals(last.bytes(), bytes)) {
            return last.declared();
        }
        decoded.remove(f);
        List<ManifestDecoder.Declared> declared = decoder.declare(f, bytes);
        decoded.put(f, new Decoded(bytes, declared));
        return declared;
    }

    private SourceStatus scanFile(Path f, String source, Map<ObjectRef, String> claimed) {
        List<StoredObject> owned = store.listBySource(source);
        try {
            long size = Files.size(f);
            if (size > SpecText.MAX_BYTES) {
                // refused before it is read: a huge file must not fill the heap or hold up the scan
                throw BerthException.invalid("%s", SpecText.tooLarge(f.toString(), size).getMessage());
            }
            List<ManifestDecoder.Declared> declared = declare(f);
            List<CustomResource<?, ?>> objects = declared.stream().map(ManifestDecoder.Declared::object).toList();
            Set<ObjectRef> keys = new HashSet<>();
            Map<ObjectRef, String> here = new HashMap<>();
            for (ManifestDecoder.Declared d : declared) {
                ObjectRef k = ObjectStore.keyOf(d.object());
                String at = d.where(f);
                String other = here.putIfAbsent(k, at);
                if (other == null) {
                    other = claimed.get(k);
                }
                if (other != null) {
                    throw BerthException.invalid("%s: metadata.name: %s %s/%s is declared twice (also at %s); "
                            + "keep one declaration", at, k.kind(), k.namespace(), k.name(), other);
                }
                keys.add(k);
            }
            here.forEach(claimed::put);
            for (CustomResource<?, ?> o : objects) {
                ObjectStore.ApplyOutcome out = store.apply(o, source, false);
                if (out != ObjectStore.ApplyOutcome.UNCHANGED) {
                    LOG.info("{}: {} {}", f.getFileName(), ObjectStore.keyOf(o), out.name().toLowerCase());
                }
            }
            for (StoredObject o : owned) {
                if (!keys.contains(o.key()) && !o.deleting()) {
                    LOG.info("{}: {} no longer declared, deleting", f.getFileName(), o.key());
                    store.requestDeletion(o.key());
                }
            }
            return new SourceStatus(source, clock.instant(), objects.size(), null);
        } catch (RuntimeException | IOException e) {
            // keep the last good objects of this file in force; whatever a file holds, it stops only itself
            owned.forEach(o -> claimed.putIfAbsent(o.key(), f + " (its last applied version)"));
            String msg = e instanceof BerthException ? e.getMessage() : f + ": " + e.getMessage();
            if (!(e instanceof BerthException) && !(e instanceof IOException)) {
                LOG.warn("unexpected failure reading manifest {}", f, e);
            }
            LOG.error("manifest {} not applied, keeping its last good objects: {}", f, msg);
            return new SourceStatus(source, clock.instant(), owned.size(), msg);
        }
    }

    private List<Path> listFiles() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !isHidden(p))
                    .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            LOG.error("cannot list manifest directory {}: {}", dir, e.getMessage());
            return List.of();
        }
    }

    private boolean isHidden(Path p) {
        for (Path part : dir.relativize(p)) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Starts watching the directory tree; each burst of events triggers one rescan after
     * {@code debounceMillis} of quiet. Also scans once immediately.
     */
    public synchronized void watch(long debounceMillis, Runnable afterScan) {
        rescan();
        afterScan.run();
        try {
            Files.createDirectories(dir);
            watcher = FileSystems.getDefault().newWatchService();
            registerAll();
        } catch (IOException e) {
            LOG.error("cannot watch {} (periodic rescans still apply): {}", dir, e.getMessage());
            return;
        }
        watchThread = new Thread(() -> watchLoop(debounceMillis, afterScan), "manifest-watch");
        watchThread.setDaemon(true);
        watchThread.start();
    }

    private void registerAll() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path d : s.filter(Files::isDirectory).filter(p -> !isHidden(p)).toList()) {
                d.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                        StandardWatchEventKinds.ENTRY_MODIFY);
            }
        }
    }

    private void watchLoop(long debounceMillis, Runnable afterScan) {
        WatchService w = watcher;
        while (true) {
            try {
                WatchKey key = w.take();
                List<WatchKey> keys = new ArrayList<>(List.of(key));
                // debounce: editors write files in several steps
                for (WatchKey more; (more = w.poll(debounceMillis, TimeUnit.MILLISECONDS)) != null; ) {
                    keys.add(more);
                }
                keys.forEach(k -> {
                    k.pollEvents();
                    k.reset();
                });
                registerAll();
                rescan();
                afterScan.run();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return; // closing
            } catch (IOException | RuntimeException e) {
                // one bad scan (a directory gone mid-walk, a store failure) must not end the watch
                LOG.error("manifest scan of {} failed; watching on: {}", dir, e.toString(), e);
            }
        }
    }

    @Override
    public void close() {
        WatchService w = watcher;
        if (w != null) {
            try {
                w.close();
            } catch (IOException e) {
                LOG.debug("closing watcher", e);
            }
        }
        if (watchThread != null) {
            watchThread.interrupt();
        }
    }
}
