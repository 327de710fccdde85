package dev.berth.engine.snapshots.registry;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.snapshots.Snapshotter;
import dev.berth.engine.snapshots.nativefs.NativeSnapshotter;
import dev.berth.engine.snapshots.overlay.OverlaySnapshotter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The snapshotters of one engine root, opened on first use: {@code overlayfs} and {@code native},
 * each under {@code <root>/snapshots/<name>/}. Thread-safe.
 */
public final class Snapshotters implements AutoCloseable {
    public static final List<String> NAMES = List.of(OverlaySnapshotter.NAME, NativeSnapshotter.NAME);

    private final Path root;
    private final MetadataStore store;
    private final Clock clock;
    private final Map<String, Snapshotter> open = new ConcurrentHashMap<>();

    private final EventBus events;

    public Snapshotters(Path engineRoot, MetadataStore store, Clock clock) {
        this(engineRoot, store, clock, EventBus.NONE);
    }

    /** Snapshotters that publish their snapshot events on {@code events}. */
    public Snapshotters(Path engineRoot, MetadataStore store, Clock clock, EventBus events) {
        this.events = events;
        this.root = engineRoot.resolve("snapshots");
        this.store = store;
        this.clock = clock;
    }

    /** The names of the snapshotters Berth has ({@code ctr plugins ls} lists them). */
    public List<String> names() {
        return NAMES;
    }

    /** The snapshotter called {@code name}; INVALID_ARGUMENT for unknown names. */
    public Snapshotter get(String name) {
        String canonical = "overlay".equals(name) ? OverlaySnapshotter.NAME : name;
        return open.computeIfAbsent(canonical, n -> switch (n) {
            case OverlaySnapshotter.NAME -> new OverlaySnapshotter(root.resolve(OverlaySnapshotter.NAME), store, clock, events);
            case NativeSnapshotter.NAME -> new NativeSnapshotter(root.resolve(NativeSnapshotter.NAME), store, clock, events);
            default -> throw BerthException.invalid("unknown snapshotter \"%s\" (known: %s)", n, String.join(", ", NAMES));
        });
    }

    @Override
    public void close() {
        open.values().forEach(Snapshotter::close);
        open.clear();
    }
}
