package dev.berth.reconcilers.container;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageSpec;
import dev.berth.crd.image.ImageStatus;
import dev.berth.crd.status.Condition;
import dev.berth.crd.status.Conditions;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.cgroups.CgroupSettings;
import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.config.Config;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.runtime.RuntimeSettings;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.ObjectLookup;
import dev.berth.reconcilers.Result;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A real engine on a temp root (private state, logs and cgroup parent) with a busybox image
 * imported and a Ready Image object for it, an in-memory {@link ObjectLookup}, a recording
 * {@link EventSink}, a settable clock, and a {@link ContainerReconciler} on them. {@link #close()}
 * removes every task, runc container, conmon, mount, cgroup and directory it made.
 */
final class ContainerFixture implements AutoCloseable {
    static final String NS = "default";
    static final String IMAGE = "busybox";

    final String suffix = UUID.randomUUID().toString().substring(0, 8);
    final Path tmp;
    final Config config;
    final String cgroupParent = "/berth-rit-" + suffix;
    final String imageRef = "localhost/berth-test/busybox-" + suffix + ":1";
    final TestClock clock = new TestClock();
    final Map<ObjectRef, HasMetadata> objects = new ConcurrentHashMap<>();
    final List<String> events = new CopyOnWriteArrayList<>();
    /** Reconciles that threw inside {@link #reconcileUntil} (retried there, as the dispatcher would). */
    final List<Exception> failures = new CopyOnWriteArrayList<>();
    Engine engine;
    ContainerReconciler reconciler;
    BuiltImage image;

    ContainerFixture() throws Exception {
        this(c -> c);
    }

    /** A fixture whose config is also edited by {@code extra} (CNI directories, the sandbox image). */
    ContainerFixture(java.util.function.UnaryOperator<Config> extra) throws Exception {
        tmp = Files.createTempDirectory("berth-ctr-");
        config = extra.apply(Config.defaults().with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(RuntimeSettings.LOG_DIR, tmp.resolve("logs").toString())
                .with(CgroupSettings.CGROUP_PARENT, cgroupParent));
        open();
        image = OciImageBuilder.busybox().build();
        image.writeTo(engine.content());
        engine.images().create(dev.berth.engine.images.Image.of(imageRef, image.target()));
        Image img = new Image();
        img.setMetadata(new ObjectMetaBuilder().withName(IMAGE).withNamespace(NS).withGeneration(1L).build());
        img.setSpec(new ImageSpec(imageRef, null, null, null, null, null));
        ImageStatus st = new ImageStatus();
        st.setDigest(image.target().digest().toString());
        Conditions.set(st.getConditions(), Condition.of(Condition.READY, true, "Pulled", "ready"), clock);
        img.setStatus(st);
        put(img);
    }

    void open() {
        engine = Engine.open(config);
        reconciler = new ContainerReconciler(engine, lookup(), sink(), clock,
                ContainerReconciler.Options.DEFAULTS.withStopGrace(Duration.ofSeconds(1)));
    }

    /** Closes the engine as a daemon shutdown does (tasks keep running) and opens it again. */
    void reopen() {
        engine.close();
        open();
    }

    void put(HasMetadata o) {
        objects.put(ObjectRef.of(o), o);
    }

    ObjectLookup lookup() {
        return new ObjectLookup() {
            @Override
            public <T extends HasMetadata> Optional<T> get(ObjectRef ref, Class<T> type) {
                HasMetadata o = objects.get(ref);
                return type.isInstance(o) ? Optional.of(type.cast(o)) : Optional.empty();
            }

            @Override
            public <T extends HasMetadata> List<T> list(Class<T> type) {
                return objects.values().stream().filter(type::isInstance).map(type::cast).toList();
            }
        };
    }

    EventSink sink() {
        return new EventSink() {
            @Override
            public void normal(ObjectRef object, String reason, String message) {
                events.add(object.name() + " " + reason + ": " + message);
            }

            @Override
            public void warning(ObjectRef object, String reason, String message) {
                events.add(object.name() + " " + reason + ": " + message);
            }
        };
    }

    /** Reasons of the events recorded for {@code name}, in order. */
    List<String> reasons(String name) {
        return events.stream().filter(e -> e.startsWith(name + " ")).map(e -> e.split(" ")[1].replace(":", ""))
                .toList();
    }

    String name(String base) {
        return base + "-" + suffix;
    }

    Container container(String name, ContainerSpec spec) {
        Container c = new Container();
        c.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).withGeneration(1L).build());
        c.setSpec(spec);
        return c;
    }

    static ContainerSpec spec(List<String> args, ContainerSpec.Resources resources,
            dev.berth.crd.container.RestartPolicy policy) {
        return new ContainerSpec(IMAGE, null, args, null, null, null, resources, null, null, false, policy, null,
                null, null);
    }

    Result reconcile(Container c) throws Exception {
        return reconciler.reconcile(c, Context.first(clock)).writeTo(c);
    }

    /** Reconciles until {@code until} holds (real exits take a moment to be recorded); the last result. */
    Result reconcileUntil(Container c, Predicate<Container> until) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Result r = null;
        Exception last = null;
        while (true) {
            try {
                r = reconcile(c);
                last = null;
            } catch (Exception e) {
                // the dispatcher retries a failed reconcile with backoff; so does this loop
                last = e;
                failures.add(e);
            }
            if (last == null && until.test(c)) {
                return r;
            }
            if (System.nanoTime() > deadline) {
                AssertionError e = new AssertionError("not converged: status " + c.getStatus() + "; events " + events);
                if (last != null) {
                    e.initCause(last);
                }
                throw e;
            }
            Thread.sleep(100);
        }
    }

    /** Berth's pause (bin/pause/pause.c) imported as {@code ref}; the import's record. */
    dev.berth.engine.images.Image importPauseImage(String ref) throws Exception {
        return dev.berth.engine.testing.PauseImage.importAs(engine, ref, tmp);
    }

    Path rootfs(String name) {
        return tmp.resolve("state/tasks").resolve(NS).resolve(name).resolve("rootfs");
    }

    Optional<TaskStatus> task(String name) {
        return engine.runtime().find(NS, name);
    }

    @Override
    public void close() throws Exception {
        for (Exception e : failures) {
            System.err.println("reconcile failed and was retried: " + e);
        }
        List<Throwable> errors = new ArrayList<>();
        try {
            if (engine == null) {
                open();
            }
            for (TaskStatus t : engine.runtime().list(null)) {
                try {
                    engine.runtime().delete(t.namespace(), t.id(), true);
                } catch (RuntimeException e) {
                    errors.add(e);
                }
            }
        } catch (RuntimeException e) {
            errors.add(e);
        }
        Path runcRoot = tmp.resolve("state/runc");
        if (Files.isDirectory(runcRoot)) {
            try (Stream<Path> nss = Files.list(runcRoot)) {
                for (Path ns : nss.toList()) {
                    try (Stream<Path> ids = Files.list(ns)) {
                        for (Path id : ids.toList()) {
                            new ProcessBuilder("runc", "--root", ns.toString(), "delete", "--force",
                                    id.getFileName().toString()).inheritIO().start().waitFor();
                        }
                    }
                }
            }
        }
        MountTable.cleanUnder(tmp);
        if (engine != null) {
            engine.close();
        }
        try {
            Cgroups.host().removeEmpty(cgroupParent);
        } catch (RuntimeException e) {
            errors.add(e);
        }
        FileTree.deleteRecursively(tmp);
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError("cleanup failed: " + errors.get(0), errors.get(0));
            errors.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    /** A clock tests move by hand. */
    static final class TestClock extends Clock {
        private volatile Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
