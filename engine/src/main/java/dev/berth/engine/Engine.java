package dev.berth.engine;

import dev.berth.engine.config.Config;
import dev.berth.engine.containers.ContainerService;
import dev.berth.engine.containers.Containers;
import dev.berth.engine.events.EngineEvent;
import dev.berth.engine.diff.DiffSettings;
import dev.berth.engine.diff.TarApplier;
import dev.berth.engine.gc.GarbageCollector;
import dev.berth.engine.hostpath.HostPathPolicy;
import dev.berth.engine.leases.LeaseManager;
import dev.berth.engine.leases.MetadataLeaseStore;
import dev.berth.engine.sandbox.PauseImages;
import dev.berth.engine.sandbox.SandboxSettings;
import dev.berth.engine.snapshots.SnapshotSettings;
import dev.berth.engine.snapshots.Snapshotter;
import dev.berth.engine.snapshots.registry.Snapshotters;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.unpack.ImageMounter;
import dev.berth.engine.unpack.Unpacker;
import dev.berth.engine.content.ContentStore;
import dev.berth.engine.content.local.LocalContentStore;
import dev.berth.engine.images.ImageStore;
import dev.berth.engine.images.MetadataImageStore;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.metadata.RootLock;
import dev.berth.engine.remotes.Resolver;
import dev.berth.engine.remotes.auth.Credentials;
import dev.berth.engine.remotes.docker.RegistryOptions;
import dev.berth.engine.remotes.docker.RegistryResolver;
import dev.berth.engine.rootfs.ContainerRootfs;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.conmon.ConmonRuntime;
import dev.berth.engine.runtime.conmon.RuntimeOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine opened on one root: holds the root lock and the metadata store, and gives access to the
 * components (content, images, snapshotters, runtime) built on them. The daemon opens one for its
 * lifetime; CLI commands open one in-process when no daemon runs (see "Who owns the store" in
 * DESIGN.md). Thread-safe; {@link #close()} releases the root.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    /** As opened, with {@link EngineSettings#live()} replaced by {@link #reconfigure}. */
    private volatile Config config;
    private final Path root;
    private final Path state;
    private final RootLock lock;
    private final MetadataStore metadata;
    private ContentStore content;
    private ImageStore images;
    private Snapshotters snapshotters;
    private final Clock clock;
    private final EventBus events = new EventBus();
    private final dev.berth.engine.transfer.TransferObserver.Set transfers = new dev.berth.engine.transfer.TransferObserver.Set();
    private final HostPathPolicy hostPaths;
    /** One iptables dump and one CHECK schedule for all sandboxes: {@link #cni} and {@link #sandboxes} are made per use. */
    private final dev.berth.engine.cni.RuleDump ruleDump = new dev.berth.engine.cni.RuleDump();
    private final dev.berth.engine.sandbox.CheckSchedule sandboxChecks;
    private Unpacker unpacker;
    private LeaseManager leases;
    private GarbageCollector gc;
    private TaskRuntime runtime;
    private AutoCloseable taskExits;
    private Containers containers;
    private dev.berth.engine.namespaces.NamespaceStore namespaces;

    private Engine(Config config, Clock clock, RootLock lock, MetadataStore metadata) {
        this.config = config;
        this.clock = clock;
        this.root = Path.of(config.get(EngineSettings.ROOT));
        this.state = Path.of(config.get(EngineSettings.STATE));
        this.lock = lock;
        this.metadata = metadata;
        this.hostPaths = HostPathPolicy.from(config, root, state);
        this.sandboxChecks = new dev.berth.engine.sandbox.CheckSchedule(clock);
    }

    /** {@link #open(Config, Clock)} on the system clock in UTC. */
    public static Engine open(Config config) {
        return open(config, Clock.systemUTC());
    }

    /**
     * Takes the root lock and opens the stores, which read the time from {@code clock} (record times,
     * lease expiry, log rotation, GC ages); fails with LOCKED when another process owns the root.
     */
    public static Engine open(Config config, Clock clock) {
        Path root = Path.of(config.get(EngineSettings.ROOT));
        RootLock lock = RootLock.acquire(root);
        try {
            MetadataStore metadata = MetadataStore.open(root.resolve("meta.db"));
            Engine engine = new Engine(config, clock, lock, metadata);
            // holding the root lock, no other process is alive to own a temporary lease
            List<String> dead = engine.leases().releaseTemporary();
            if (!dead.isEmpty()) {
                LOG.info("released {} temporary lease(s) of a process that ended without them: {}; partial downloads "
                        + "resume from their ingests", dead.size(), dead);
            }
            return engine;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    public Config config() {
        return config;
    }

    /**
     * Takes the {@link EngineSettings#live()} settings of a freshly read config (a daemon reload):
     * sandboxes and pulls that start from now on use them; what runs keeps what it started with. The
     * other settings keep the values the engine was opened with. Thread-safe.
     */
    public synchronized void reconfigure(Config fresh) {
        Config c = config;
        for (var s : EngineSettings.live()) {
            c = c.withValueOf(s, fresh);
        }
        config = c;
    }

    public Path root() {
        return root;
    }

    public Path state() {
        return state;
    }

    /**
     * A registry client configured as config.toml says (hosts.toml directories, the credentials file,
     * the pull progress timeout): how callers outside the engine get a {@link Resolver} without naming
     * the implementation. The caller closes it.
     *
     * @param plainHttp use http for registries that have no hosts.toml ({@code --plain-http})
     * @param credentials who to log in as; null: the node's {@code auth_file}
     */
    public static Resolver resolver(Config config, boolean plainHttp, Credentials credentials) {
        return new RegistryResolver(RegistryOptions.fromConfig(config, plainHttp, credentials).build());
    }

    /** The clock every store of this engine reads the time from. */
    public Clock clock() {
        return clock;
    }

    /** What the engine's stores did, for subscribers such as containerd's Events service. */
    public EventBus events() {
        return events;
    }

    public MetadataStore metadata() {
        return metadata;
    }

    /** The content store under {@code <root>/content}, opened on first use. */
    public synchronized ContentStore content() {
        if (content == null) {
            content = LocalContentStore.open(root.resolve("content"), metadata, clock, events);
        }
        return content;
    }

    /** The image records in the metadata store, opened on first use. */
    public synchronized ImageStore images() {
        if (images == null) {
            images = new MetadataImageStore(metadata, clock, events);
        }
        return images;
    }

    /** The snapshotters under {@code <root>/snapshots/<name>}, opened on first use. */
    public synchronized Snapshotters snapshotters() {
        if (snapshotters == null) {
            snapshotters = new Snapshotters(root, metadata, clock, events);
        }
        return snapshotters;
    }

    /** The configured default snapshotter ({@code snapshotter} in config.toml). */
    public Snapshotter snapshotter() {
        return snapshotters().get(config.get(SnapshotSettings.SNAPSHOTTER));
    }

    /**
     * A puller into this engine's stores through {@code resolver}, holding leases and telling the
     * engine's {@link #observeTransfers transfer observers} of each pull: the one way to pull.
     */
    public dev.berth.engine.transfer.ImagePuller puller(dev.berth.engine.remotes.Resolver resolver) {
        return new dev.berth.engine.transfer.ImagePuller(content(), images(), resolver, leases(), transfers);
    }

    /** Tells {@code observer} of every pull (through {@link #puller}) and unpack; the handle removes it. */
    public AutoCloseable observeTransfers(dev.berth.engine.transfer.TransferObserver observer) {
        return transfers.add(observer);
    }

    /** Unpacks stored images into snapshotters, with the configured layer size bound. */
    public synchronized Unpacker unpacker() {
        if (unpacker == null) {
            long n = config.get(DiffSettings.MAX_CONCURRENT_UNPACKS);
            unpacker = new Unpacker(content(), images(), snapshotters()::get,
                    new TarApplier(config.get(DiffSettings.MAX_LAYER_UNPACKED_SIZE)),
                    n == 0 ? Runtime.getRuntime().availableProcessors() : (int) Math.min(n, 64), leases(), transfers);
        }
        return unpacker;
    }

    /** The namespaces created on purpose (with labels), in the metadata store. */
    public synchronized dev.berth.engine.namespaces.NamespaceStore namespaces() {
        if (namespaces == null) {
            namespaces = new dev.berth.engine.namespaces.MetadataNamespaceStore(metadata, clock);
        }
        return namespaces;
    }

    /** Applies layer blobs onto snapshot mounts (containerd's diff applier), with the configured size bound. */
    public dev.berth.engine.diff.Applier applier() {
        return new TarApplier(config.get(DiffSettings.MAX_LAYER_UNPACKED_SIZE));
    }

    /** The one policy for host paths specs name (Snapshot mount paths, bind sources). */
    public HostPathPolicy hostPaths() {
        return hostPaths;
    }

    /** The leases in the metadata store, opened on first use. */
    public synchronized LeaseManager leases() {
        if (leases == null) {
            leases = new MetadataLeaseStore(metadata, clock);
        }
        return leases;
    }

    /** The configured pause image of new sandboxes (sandbox_image), made present and pinned on demand. */
    public PauseImages pauseImages() {
        return new PauseImages(this::config, content(), images());
    }

    /** Network namespaces of sandboxes, pinned under {@code <state>/netns}. */
    public dev.berth.engine.netns.NetNamespaces netns() {
        return new dev.berth.engine.netns.NetNamespaces(state.resolve("netns"));
    }

    /**
     * The CNI runtime: plugins from config.toml's cni bin_dir and Debian's /usr/lib/cni, results
     * cached under {@code <root>/cni/results} (on disk, as host-local's reservations are, so a DEL
     * after a reboot still releases them). The config is read on every call.
     */
    public dev.berth.engine.cni.Cni cni() {
        return new dev.berth.engine.cni.Cni(SandboxSettings.cniBinDirs(config),
                new dev.berth.engine.cni.ResultCache(root.resolve("cni").resolve("results")), ruleDump);
    }

    /** Pod sandboxes: netns, CNI, files and the pause container through {@link #containers()}. */
    public dev.berth.engine.sandbox.PodSandboxes sandboxes() {
        return new dev.berth.engine.sandbox.PodSandboxes(containers(), cni(), netns(), this::config, state, events(), clock(),
                sandboxChecks);
    }

    /** The garbage collector over this root's content, images, snapshotters and leases. */
    public synchronized GarbageCollector gc() {
        if (gc == null) {
            gc = new GarbageCollector(metadata, content(), images(), Snapshotters.NAMES, snapshotters()::get, leases(),
                    clock, GarbageCollector.DEFAULT_INGEST_MAX_AGE);
        }
        return gc;
    }

    /** Mounts image root file systems on directories ({@code berth images mount}). */
    public ImageMounter imageMounter() {
        return new ImageMounter(unpacker(), snapshotters()::get);
    }

    /** Container root file systems: active snapshots on images, mounted in task bundles. */
    public ContainerRootfs containerRootfs() {
        return new ContainerRootfs(content(), images(), unpacker(), snapshotters()::get);
    }

    /**
     * The task runtime (conmon + runc/crun), opened on first use: adopts the tasks a previous owner of
     * this root left running and records exits that happened meanwhile.
     */
    public synchronized TaskRuntime runtime() {
        if (runtime == null) {
            runtime = ConmonRuntime.open(RuntimeOptions.from(config, clock), metadata,
                    config.source().map(Path::toString).orElse("config.toml"));
            // containerd's /tasks/exit, whoever made the task
            taskExits = runtime.onExit(x -> events.publishIn(x.namespace(), EngineEvent.TASK_EXIT, java.util.Map.of(
                    "container_id", x.id(), "id", x.id(),
                    "exit_status", Integer.toString(x.exitCode()), "exited_at", x.exitedAt().toString()), java.util.Map.of()));
        }
        return runtime;
    }

    /**
     * The containers service: the one path that creates, starts, stops and tears down containers
     * (rootfs snapshot, bundle, OCI spec, cgroups path, record). Opens the runtime; on first use
     * imports an older Berth's container rows (see {@code LegacyImport}).
     */
    public synchronized Containers containers() {
        if (containers == null) {
            containers = ContainerService.open(metadata, runtime(), containerRootfs(),
                    () -> config.get(SnapshotSettings.SNAPSHOTTER), () -> snapshotters().names(), events, clock);
        }
        return containers;
    }

    @Override
    public void close() {
        try {
            synchronized (this) {
                if (taskExits != null) {
                    try {
                        taskExits.close();
                    } catch (Exception e) {
                        LOG.debug("closing the task exit subscription", e);
                    }
                }
                if (runtime != null) {
                    runtime.close();
                }
            }
            metadata.close();
        } finally {
            lock.close();
        }
    }
}
