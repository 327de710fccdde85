package dev.berth.reconcilers.container;

import static dev.berth.reconcilers.container.ContainerFixture.NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.container.Probe;
import dev.berth.crd.container.RestartPolicy;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageSpec;
import dev.berth.crd.image.ImageStatus;
import dev.berth.crd.image.PullPolicy;
import dev.berth.crd.status.Condition;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RegistryProcess;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.image.ImageReconciler;
import dev.berth.reconcilers.image.Registries;
import dev.berth.reconcilers.probe.NetnsDialer;
import dev.berth.reconcilers.probe.Prober;
import dev.berth.reconcilers.rollout.Rollouts;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Image updates rolled out to real containers, against a real registry (docker-registry on
 * 127.0.0.1): three Containers on one Image with {@code pullPolicy: Always} and
 * {@code updateInterval}, a readiness probe that fails on the "bad" image. A new good image under
 * the same tag is rolled one Container at a time in name order, each as a surge: its new task
 * (runtime id {@code <name>_<digest>}) starts next to the old one, which is removed only once the new
 * one is Ready, so every status sample shows every Container Ready on a running task and never more
 * than the old and the new task; a bad one is rolled back after its progress deadline by removing
 * the new task (the old one never stopped: same pid, same start), pinned, and the Image says
 * Degraded=RolledBack with the new task's probe output; a Container on another Image is never
 * touched. The settable clock decides when the tag is checked and when a deadline has passed; the
 * probes and the containers run in real time.
 */
class RolloutIT {
    private static final String PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    ContainerFixture f;
    RegistryProcess registry;
    Registries registries;
    NetnsDialer dialer;
    Prober prober;
    ImageReconciler images;
    Image app;
    final List<Container> containers = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        f = new ContainerFixture();
        registry = RegistryProcess.start();
        registries = new Registries(f.config);
        dialer = new NetnsDialer();
        prober = new Prober(f.engine.runtime(), dialer, f.sink(), ref -> { }, 4);
        f.reconciler = new ContainerReconciler(f.engine, f.lookup(), f.sink(), f.clock,
                ContainerReconciler.Options.DEFAULTS.withStopGrace(Duration.ofSeconds(2)), prober);
        images = new ImageReconciler(f.engine, registries, f.lookup(), f.sink(), Duration.ofMinutes(5));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            for (Container c : containers) {
                f.reconciler.cleanup(c, Context.first(f.clock));
            }
        } finally {
            if (prober != null) {
                prober.close();
                dialer.close();
            }
            if (registries != null) {
                registries.close();
            }
            if (registry != null) {
                registry.close();
            }
            if (f != null) {
                f.close();
            }
        }
    }

    private static BuiltImage version(String v) {
        return OciImageBuilder.busybox().env(PATH, "VERSION=" + v).build();
    }

    private String digest(BuiltImage b) {
        return b.target().digest().toString();
    }

    private Container container(String name, String image) {
        ContainerSpec spec = new ContainerSpec(image, List.of("sh", "-c"), List.of("trap 'exit 0' TERM; sleep 1000 & wait"),
                null, null, null, null, null, null, false, RestartPolicy.Always, null, null, null)
                .withProbes(null, null, Probe.exec("sh", "-c", "test \"$VERSION\" != bad").timed(null, 1, null, null, 1))
                .withProgressDeadlineSeconds(20);
        Container c = f.container(f.name(name), spec);
        f.put(c);
        containers.add(c);
        return c;
    }

    /** One pass of what the daemon does: the Image, then every Container. */
    private void pass() throws Exception {
        try {
            images.reconcile(app, Context.first(f.clock)).writeTo(app);
        } catch (Exception e) {
            f.failures.add(e);
        }
        for (Container c : containers) {
            try {
                f.reconcile(c);
            } catch (Exception e) {
                f.failures.add(e);
            }
        }
    }

    /** Passes until {@code done}; {@code each} is checked after every pass. */
    private void passUntil(BooleanSupplier done, Runnable each) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            pass();
            each.run();
            if (done.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not converged: image " + app.getStatus().getRollout() + "; containers "
                        + containers.stream().map(c -> c.getMetadata().getName() + "=" + c.getStatus()).toList()
                        + "; events " + f.events);
            }
            Thread.sleep(200);
        }
    }

    private static boolean readyOn(Container c, String digest) {
        ContainerStatus s = c.getStatus();
        return s != null && digest.equals(s.getImageDigest()) && s.getPhase() == ContainerPhase.Running && s.isReady();
    }

    private boolean allReadyOn(List<Container> cs, String digest) {
        return cs.stream().allMatch(c -> readyOn(c, digest));
    }

    /**
     * What every status sample of a surge rollout must show: each Container has its current task and
     * at most the surge's new one (named in its status), and every rolled Container is Ready on a
     * running task — there is no moment without a Ready task.
     */
    private void oneAtATime(List<Container> rolled) {
        List<TaskStatus> tasks = f.engine.runtime().list(NS);
        for (Container c : containers) {
            String name = c.getMetadata().getName();
            List<String> mine = tasks.stream().map(TaskStatus::id).filter(id -> RuntimeIds.ownedBy(id, name)).toList();
            assertTrue(mine.size() <= 2, "more than two tasks for " + name + ": " + mine);
            if (mine.size() == 2) {
                ContainerStatus.Surge s = c.getStatus().getSurge();
                assertNotNull(s, name + " has two tasks " + mine + " but no surge in its status");
                assertTrue(mine.contains(s.containerID()) && mine.contains(c.getStatus().getContainerID()), mine + " vs "
                        + c.getStatus());
            }
        }
        for (Container c : rolled) {
            ContainerStatus s = c.getStatus();
            assertTrue(s != null && s.isReady(), "a Container was not Ready: " + c.getMetadata().getName() + "="
                    + (s == null ? null : s.condition(Condition.READY)));
            TaskStatus t = f.engine.runtime().find(NS, s.getContainerID()).orElse(null);
            assertTrue(t != null && t.state() == dev.berth.engine.runtime.TaskState.RUNNING, "the Ready task "
                    + s.getContainerID() + " of " + c.getMetadata().getName() + " is not running: " + t);
            surgeSeen |= s.getSurge() != null;
        }
    }

    boolean surgeSeen;

    /** Only the current revision of each Container is left: one record, one task, one rootfs snapshot, one bundle. */
    private void onlyCurrentRevisions() throws Exception {
        for (Container c : containers) {
            String name = c.getMetadata().getName();
            String id = c.getStatus().getContainerID();
            assertEquals(List.of(id), f.engine.containers().list(NS).stream().map(i -> i.id())
                    .filter(i -> RuntimeIds.ownedBy(i, name)).toList(), "container records of " + name);
            assertEquals(List.of(id), f.engine.runtime().list(NS).stream().map(TaskStatus::id)
                    .filter(i -> RuntimeIds.ownedBy(i, name)).toList(), "tasks of " + name);
            try (var dirs = java.nio.file.Files.list(f.tmp.resolve("state/tasks").resolve(NS))) {
                assertEquals(List.of(id), dirs.map(d -> d.getFileName().toString())
                        .filter(i -> RuntimeIds.ownedBy(i, name)).toList(), "bundles of " + name);
            }
            List<String> snaps = new ArrayList<>();
            f.engine.snapshotter().walk(info -> {
                if (info.name().startsWith("container/" + NS + "/") && RuntimeIds.ownedBy(
                        info.name().substring(("container/" + NS + "/").length()), name)) {
                    snaps.add(info.name());
                }
            });
            assertEquals(List.of("container/" + NS + "/" + id), snaps, "rootfs snapshots of " + name);
        }
    }

    private List<String> eventsOf(String reason) {
        return f.events.stream().filter(e -> e.contains(" " + reason + ": ")).toList();
    }

    @Test
    void aNewDigestRollsOneContainerAtATimeAndABadOneRollsBackAndStaysPinned() throws Exception {
        BuiltImage v1 = version("1");
        BuiltImage v2 = version("2");
        BuiltImage bad = version("bad");
        registry.pushRaw(v1, "berth/app", "live");
        String ref = registry.host() + "/berth/app:live";
        app = new Image();
        app.setMetadata(new ObjectMetaBuilder().withName("app").withNamespace(NS).withGeneration(1L).build());
        app.setSpec(new ImageSpec(ref, PullPolicy.Always, null, null, null, null, "1s"));
        f.put(app);
        List<Container> rolled = List.of(container("a", "app"), container("b", "app"), container("c", "app"));
        Container other = container("other", ContainerFixture.IMAGE);

        passUntil(() -> allReadyOn(rolled, digest(v1)) && other.getStatus() != null && other.getStatus().isReady(), () -> { });
        String otherStarted = other.getStatus().getStartedAt();
        Integer otherPid = other.getStatus().getPid();

        // a new good image under the same tag: found by the next check, rolled a, b, c in turn
        registry.pushRaw(v2, "berth/app", "live");
        f.events.clear();
        f.clock.advance(Duration.ofSeconds(2));
        List<String> order = new ArrayList<>();
        passUntil(() -> app.getStatus().getRollout() != null
                && app.getStatus().getRollout().phase() == ImageStatus.RolloutPhase.Complete
                && allReadyOn(rolled, digest(v2)), () -> {
                    oneAtATime(rolled);
                    // the Containers on v2 are always the first ones by name: a, then b, then c
                    List<String> on = rolled.stream().filter(c -> c.getStatus() != null
                            && digest(v2).equals(c.getStatus().getImageDigest())).map(c -> c.getMetadata().getName()).toList();
                    List<String> prefix = rolled.subList(0, on.size()).stream().map(c -> c.getMetadata().getName()).toList();
                    assertEquals(prefix, on, "rolled out of order");
                    if (!on.isEmpty() && (order.isEmpty() || !order.get(order.size() - 1).equals(on.get(on.size() - 1)))) {
                        order.add(on.get(on.size() - 1));
                    }
                });
        assertEquals(rolled.stream().map(c -> c.getMetadata().getName()).toList(), order);
        assertTrue(surgeSeen, "no status sample showed a surge");
        for (Container c : rolled) {
            assertEquals(RuntimeIds.surgeId(c.getMetadata().getName(), digest(v2)), c.getStatus().getContainerID());
            assertEquals(1, eventsOf("SurgeComplete").stream().filter(e -> e.startsWith(c.getMetadata().getName() + " "))
                    .count(), f.events.toString());
        }
        assertFalse(f.events.stream().anyMatch(e -> e.contains(" Recreating: ")), "rolled in place: " + f.events);
        onlyCurrentRevisions();
        assertEquals(3, eventsOf("RolledOut").size(), f.events.toString());
        assertEquals(1, eventsOf("RolloutStarted").size(), f.events.toString());
        assertEquals(1, eventsOf("RolloutComplete").size(), f.events.toString());
        assertEquals(List.of(f.name("a"), f.name("b"), f.name("c")), app.getStatus().getRollout().updated());
        for (Container c : rolled) {
            var h = c.getStatus().getHistory();
            var last = h.get(h.size() - 1);
            assertEquals("RolledOut", last.action(), h.toString());
            assertEquals(digest(v2), last.imageDigest());
            assertEquals("Ready", last.outcome());
        }
        // the previous digest stays pinned (an image record, a GC root) for a rollback
        assertTrue(f.engine.images().find(Rollouts.imageName(app, digest(v1))).isPresent());
        assertEquals(otherStarted, other.getStatus().getStartedAt(), "a Container of another Image is not recreated");
        assertEquals(otherPid, other.getStatus().getPid());
        assertFalse(f.events.stream().anyMatch(e -> e.startsWith(other.getMetadata().getName() + " Recreating")));

        // a bad image: the first Container's new task fails readiness past its deadline; it is removed
        // and the old task, which never stopped, goes on
        String aId = rolled.get(0).getStatus().getContainerID();
        Integer aPid = rolled.get(0).getStatus().getPid();
        String aStarted = rolled.get(0).getStatus().getStartedAt();
        registry.pushRaw(bad, "berth/app", "live");
        f.events.clear();
        f.clock.advance(Duration.ofSeconds(2));
        passUntil(() -> {
            ImageStatus.Rollout r = app.getStatus().getRollout();
            Condition ready = rolled.get(0).getStatus().condition(Condition.READY).orElse(null);
            ContainerStatus.Surge s = rolled.get(0).getStatus().getSurge();
            return r.phase() == ImageStatus.RolloutPhase.Progressing && f.name("a").equals(r.current())
                    && s != null && digest(bad).equals(s.imageDigest()) && "ProbeFailed".equals(s.reason())
                    && ready != null && ready.isTrue();
        }, () -> oneAtATime(rolled));
        f.clock.advance(Duration.ofSeconds(25));
        passUntil(() -> app.getStatus().getRollout().phase() == ImageStatus.RolloutPhase.RolledBack
                && allReadyOn(rolled, digest(v2)), () -> oneAtATime(rolled));
        assertEquals(aId, rolled.get(0).getStatus().getContainerID(), "the old task is still the current one");
        assertEquals(aPid, rolled.get(0).getStatus().getPid(), "the old task never stopped");
        assertEquals(aStarted, rolled.get(0).getStatus().getStartedAt());
        assertTrue(f.engine.runtime().find(NS, aId).orElseThrow().state() == dev.berth.engine.runtime.TaskState.RUNNING);
        assertFalse(f.events.stream().anyMatch(e -> e.startsWith(f.name("a") + " Killed") && e.contains(aId + ",")),
                f.events.toString());
        assertEquals(1, eventsOf("SurgeRemoved").size(), f.events.toString());
        onlyCurrentRevisions();
        Condition degraded = app.getStatus().condition(Condition.DEGRADED).orElseThrow();
        assertTrue(degraded.isTrue());
        assertEquals("RolledBack", degraded.reason());
        assertTrue(degraded.message().startsWith("Container " + f.name("a") + " did not become Ready on " + digest(bad)
                + " within its progress deadline of 20s (ProbeFailed: readiness probe (exec [sh, -c, test \"$VERSION\" != bad])"
                + " failed: command [sh, -c, test \"$VERSION\" != bad] exited with code 1"), degraded.message());
        assertEquals(1, eventsOf("RolledBack").stream().filter(e -> e.startsWith("app ")).count(), f.events.toString());
        for (String untouched : List.of(f.name("b"), f.name("c"))) {
            assertFalse(f.events.stream().anyMatch(e -> e.startsWith(untouched + " Recreating")),
                    untouched + " never left v2: " + f.events);
        }
        var h = rolled.get(0).getStatus().getHistory();
        assertEquals("RolledBack", h.get(h.size() - 1).action(), h.toString());
        assertEquals("Ready", h.get(h.size() - 1).outcome());
        assertTrue(h.get(h.size() - 2).outcome().startsWith("ProbeFailed: readiness probe"), h.toString());
        assertTrue(f.engine.images().find(Rollouts.imageName(app, digest(v2))).isPresent(), "v2 stays pinned");

        // the tag still points at the bad image: later checks change nothing
        f.events.clear();
        for (int i = 0; i < 3; i++) {
            f.clock.advance(Duration.ofSeconds(2));
            pass();
        }
        assertEquals(ImageStatus.RolloutPhase.RolledBack, app.getStatus().getRollout().phase());
        assertTrue(allReadyOn(rolled, digest(v2)));
        assertFalse(f.events.stream().anyMatch(e -> e.contains(" Recreating: ") || e.contains(" Rolling: ")), f.events.toString());
        assertNotNull(app.getStatus().getCheckedAt());
    }
}
