package dev.berth.reconcilers.container;

import static dev.berth.reconcilers.container.ContainerFixture.NS;
import static dev.berth.reconcilers.container.ContainerFixture.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.container.DesiredState;
import dev.berth.crd.container.RestartPolicy;
import dev.berth.crd.status.Condition;
import dev.berth.engine.cgroups.CgroupVersion;
import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.mount.Unmount;
import dev.berth.engine.runtime.TaskState;
import dev.berth.reconcilers.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Container reconciler against a real engine: runc under conmon, overlay snapshots, cgroups. */
class ContainerReconcilerIT {
    private static final List<String> SLEEP = List.of("sleep", "1000");
    private static final ContainerSpec.Resources LIMITS = new ContainerSpec.Resources("64Mi", "500m", 50L);
    static ContainerFixture f;

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        f = new ContainerFixture();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private static boolean phase(Container c, ContainerPhase p) {
        return c.getStatus() != null && c.getStatus().getPhase() == p;
    }

    private static Condition ready(Container c) {
        return c.getStatus().condition(Condition.READY).orElseThrow();
    }

    private static Container edit(Container c, ContainerSpec spec) {
        c.setSpec(spec);
        c.getMetadata().setGeneration(c.getMetadata().getGeneration() + 1);
        return c;
    }

    /**
     * A readiness probe on a port its Sandbox does not declare (the Sandbox declares others): the
     * Container is not started and its Ready condition names the field and the fix.
     */
    @Test
    void aProbePortTheSandboxDoesNotDeclareKeepsTheContainerFromStarting() throws Exception {
        String pod = f.name("ports-pod");
        var sb = new dev.berth.crd.sandbox.Sandbox();
        sb.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(pod).withNamespace(NS)
                .withGeneration(1L).build());
        sb.setSpec(new dev.berth.crd.sandbox.SandboxSpec(pod, dev.berth.crd.sandbox.Sandbox.NetworkMode.None,
                List.of(new dev.berth.crd.sandbox.SandboxSpec.PortMapping(8080, null, null, null)), null, null, false, null));
        var st = new dev.berth.crd.sandbox.SandboxStatus();
        dev.berth.crd.status.Conditions.set(st.getConditions(), Condition.of(Condition.READY, true, "Ready", "test"),
                f.clock);
        sb.setStatus(st);
        f.put(sb);
        Container c = f.container(f.name("ports"), new ContainerSpec(ContainerFixture.IMAGE, null, SLEEP, null, null,
                null, null, null, null, false, RestartPolicy.Always, null, pod, null)
                .withProbes(null, null, dev.berth.crd.container.Probe.httpGet("/ready", 8081)));
        f.reconcile(c);
        Condition ready = ready(c);
        assertEquals("InvalidProbePort", ready.reason());
        assertTrue(ready.message().startsWith("spec.readinessProbe.httpGet.port: 8081 is not a TCP port Sandbox " + pod
                + " declares (its spec.ports containerPorts: [8080])"), ready.message());
        assertTrue(f.task(c.getMetadata().getName()).isEmpty(), "no task was made");
        assertEquals("True", c.getStatus().condition(Condition.DEGRADED).orElseThrow().status());
    }

    private Container running(String base, ContainerSpec spec) throws Exception {
        Container c = f.container(f.name(base), spec);
        Result r = f.reconcileUntil(c, x -> phase(x, ContainerPhase.Running));
        assertEquals(Result.converged(), r);
        return c;
    }

    private static long memoryLimitFile(ContainerStatus st) throws Exception {
        return Long.parseLong(Files.readString(memoryFile(st)).trim());
    }

    private static Path memoryFile(ContainerStatus st) {
        String rel = st.getCgroupPath().replaceFirst("^/", "");
        return Cgroups.host().version() == CgroupVersion.V2 ? Path.of("/sys/fs/cgroup", rel, "memory.max")
                : Path.of("/sys/fs/cgroup/memory", rel, "memory.limit_in_bytes");
    }

    @Test
    void runsWithLimitsInForceAndCleanupLeavesNothing() throws Exception {
        Container c = running("web", spec(SLEEP, LIMITS, RestartPolicy.Always));
        ContainerStatus st = c.getStatus();
        assertTrue(ready(c).isTrue(), st.toString());
        assertEquals("Running", ready(c).reason());
        assertEquals(1L, st.getObservedGeneration());
        assertEquals(f.image.target().digest().toString(), st.getImageDigest());
        assertNotNull(st.getPid());
        assertTrue(ProcessHandle.of(st.getPid()).isPresent());
        assertEquals(64L << 20, st.getLimits().memoryBytes());
        assertEquals(50_000L, st.getLimits().cpuQuotaMicros());
        assertEquals(100_000L, st.getLimits().cpuPeriodMicros());
        assertEquals(50L, st.getLimits().pids());
        assertEquals(64L << 20, memoryLimitFile(st));
        assertTrue(MountTable.isMountPoint(f.rootfs(c.getMetadata().getName())));
        assertEquals(List.of("Created", "Started"), f.reasons(c.getMetadata().getName()));

        // a converged container is left alone: same pid, no new events
        ContainerStatus before = st;
        assertEquals(Result.converged(), f.reconcile(c));
        assertEquals(before.getPid(), c.getStatus().getPid());
        assertEquals(2, f.reasons(c.getMetadata().getName()).size());

        String name = c.getMetadata().getName();
        String cgroup = st.getCgroupPath();
        assertEquals(Result.converged(), f.reconciler.cleanup(c, dev.berth.reconcilers.Context.first(f.clock)));
        assertTrue(f.task(name).isEmpty());
        assertFalse(MountTable.isMountPoint(f.rootfs(name)));
        assertFalse(Files.exists(f.rootfs(name).getParent()), "bundle directory removed");
        assertFalse(f.engine.containerRootfs().exists("overlayfs", ContainerReconciler.snapshotKey(NS, name)));
        assertFalse(Cgroups.host().exists(cgroup));
        assertTrue(f.reconciler.record(NS, name).isEmpty());
        assertFalse(ProcessHandle.of(st.getPid()).map(ProcessHandle::isAlive).orElse(false));
        assertEquals(Result.converged(), f.reconciler.cleanup(c, dev.berth.reconcilers.Context.first(f.clock)),
                "idempotent");
    }

    /** Regression: bind sources were checked only for being absolute (issue 12). */
    @Test
    void bindSourcesReachingBerthsOwnDirectoriesAreRefusedAndSystemOnesWarned() throws Exception {
        Path root = f.tmp.resolve("root");
        ContainerSpec bad = new ContainerSpec(ContainerFixture.IMAGE, null, SLEEP, null, null, null, null,
                List.of(new ContainerSpec.Mount("/data", ContainerSpec.MountType.Bind, root.toString(), true, null)),
                null, false, RestartPolicy.Always, null, null, null);
        Container c = f.container(f.name("bindroot"), bad);
        dev.berth.engine.errdefs.BerthException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.berth.engine.errdefs.BerthException.class, () -> f.reconcile(c));
        assertEquals(dev.berth.engine.errdefs.ErrorCategory.INVALID_ARGUMENT, e.category());
        assertEquals("spec.mounts[0].source: host path " + root + " is refused: it is Berth's root directory "
                + root + "; a container must not see or change Berth's own files", e.getMessage());
        String name = c.getMetadata().getName();
        assertTrue(f.task(name).isEmpty(), "no task for a refused spec");
        assertFalse(f.engine.containerRootfs().exists(f.engine.snapshotter().name(),
                ContainerReconciler.snapshotKey(NS, name)), "no rootfs for a refused spec");

        ContainerSpec system = new ContainerSpec(ContainerFixture.IMAGE, null, SLEEP, null, null, null, null,
                List.of(new ContainerSpec.Mount("/host-etc", ContainerSpec.MountType.Bind, "/etc", true, null)),
                null, false, RestartPolicy.Always, null, null, null);
        Container ok = running("bindetc", system);
        assertTrue(f.events.contains(ok.getMetadata().getName() + " HostPathWarning: spec.mounts[0].source: bind source "
                + "/etc: it is the system directory /etc; the container can read (and without readOnly change) the "
                + "host's own files"), f.events.toString());
    }

    @Test
    void waitsForItsImage() throws Exception {
        ContainerSpec s = new ContainerSpec("nope", null, SLEEP, null, null, null, null, null, null, false, null, null,
                null, null);
        Container c = f.container(f.name("wait"), s);
        Result r = f.reconcile(c);
        assertEquals(Result.waitingFor(new ObjectRef("Image", NS, "nope")), r);
        assertEquals(ContainerPhase.Pending, c.getStatus().getPhase());
        assertEquals("WaitingForImage", ready(c).reason());
        assertTrue(ready(c).message().contains(NS + "/nope"), ready(c).message());
        assertNull(c.getStatus().getObservedGeneration());
        assertTrue(f.task(c.getMetadata().getName()).isEmpty());
    }

    @Test
    void exitCodesFollowTheRestartPolicy() throws Exception {
        Container ok = f.container(f.name("ok"), spec(List.of("sh", "-c", "exit 0"), null, RestartPolicy.OnFailure));
        assertEquals(Result.converged(), f.reconcileUntil(ok, x -> phase(x, ContainerPhase.Exited)));
        assertEquals(0, ok.getStatus().getExitCode());
        assertEquals("Completed", ok.getStatus().getReason());
        assertEquals(0, ok.getStatus().getRestartCount());
        assertFalse(ready(ok).isTrue());

        Container never = f.container(f.name("never"), spec(List.of("sh", "-c", "exit 3"), null, RestartPolicy.Never));
        assertEquals(Result.converged(), f.reconcileUntil(never, x -> phase(x, ContainerPhase.Exited)));
        assertEquals(3, never.getStatus().getExitCode());
        assertEquals("Error", never.getStatus().getReason());
        assertTrue(never.getStatus().condition(Condition.DEGRADED).orElseThrow().isTrue());
        assertEquals(Result.converged(), f.reconcile(never), "stays down");
        assertEquals(0, never.getStatus().getRestartCount());
    }

    @Test
    void anOomKillIsReported() throws Exception {
        Container c = f.container(f.name("oom"), spec(List.of("dd", "if=/dev/zero", "of=/dev/null", "bs=64M",
                "count=4"), new ContainerSpec.Resources("16Mi", null, null), RestartPolicy.Never));
        f.reconcileUntil(c, x -> phase(x, ContainerPhase.Exited));
        assertEquals("OOMKilled", c.getStatus().getReason());
        assertEquals(137, c.getStatus().getExitCode());
        assertTrue(f.reasons(c.getMetadata().getName()).contains("OOMKilled"), f.events.toString());
        f.reconciler.cleanup(c, dev.berth.reconcilers.Context.first(f.clock));
    }

    @Test
    void crashLoopBacksOffAndSurvivesARestartOfTheReconciler() throws Exception {
        Container c = f.container(f.name("crash"), spec(List.of("sh", "-c", "exit 7"), null, RestartPolicy.OnFailure));
        String name = c.getMetadata().getName();
        // as kubelet: the first exit is restarted at once, backing off starts with the second
        Result r = f.reconcileUntil(c, x -> phase(x, ContainerPhase.CrashLoopBackOff));
        assertEquals(Duration.ofSeconds(10), assertInstanceOf(Result.RequeueAfter.class, r).delay());
        assertEquals("CrashLoopBackOff", ready(c).reason());
        assertEquals(7, c.getStatus().getExitCode());
        assertNotNull(c.getStatus().getNextRestartAt());
        assertEquals(1, c.getStatus().getRestartCount(), "restarted once without waiting");

        // a new reconciler (daemon restart) on the same database keeps the backoff
        f.reconciler = new ContainerReconciler(f.engine, f.lookup(), f.sink(), f.clock,
                ContainerReconciler.Options.DEFAULTS.withStopGrace(Duration.ofSeconds(1)));
        f.clock.advance(Duration.ofSeconds(5));
        r = f.reconcile(c);
        assertEquals(Duration.ofSeconds(5), assertInstanceOf(Result.RequeueAfter.class, r).delay());

        f.clock.advance(Duration.ofSeconds(6));
        r = f.reconcileUntil(c, x -> x.getStatus().getRestartCount() == 2 && phase(x, ContainerPhase.CrashLoopBackOff));
        assertEquals(Duration.ofSeconds(20), assertInstanceOf(Result.RequeueAfter.class, r).delay(), "doubled");
        assertTrue(f.reasons(name).contains("Restarted"), f.events.toString());
        assertTrue(f.reasons(name).contains("BackOff"));
        assertEquals(1, f.engine.runtime().list(NS).stream().filter(t -> t.id().equals(name)).count());
        f.reconciler.cleanup(c, dev.berth.reconcilers.Context.first(f.clock));
    }

    @Test
    void resourcesAreUpdatedLiveAndArgsRecreate() throws Exception {
        Container c = running("edit", spec(SLEEP, LIMITS, RestartPolicy.Always));
        String name = c.getMetadata().getName();
        int pid = c.getStatus().getPid();
        edit(c, spec(SLEEP, new ContainerSpec.Resources("96Mi", "1", 60L), RestartPolicy.Always));
        assertEquals(Result.converged(), f.reconcile(c));
        assertEquals(pid, c.getStatus().getPid(), "no restart for a resource change");
        assertEquals(96L << 20, c.getStatus().getLimits().memoryBytes());
        assertEquals(100_000L, c.getStatus().getLimits().cpuQuotaMicros());
        assertEquals(60L, c.getStatus().getLimits().pids());
        assertEquals(96L << 20, memoryLimitFile(c.getStatus()));
        assertEquals(2L, c.getStatus().getObservedGeneration());
        assertTrue(f.reasons(name).contains("Updated"));

        edit(c, spec(List.of("sleep", "2000"), new ContainerSpec.Resources("96Mi", "1", 60L), RestartPolicy.Always));
        f.reconcileUntil(c, x -> phase(x, ContainerPhase.Running));
        assertNotEquals(pid, c.getStatus().getPid(), "recreated");
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertTrue(f.reasons(name).contains("Recreating"), f.events.toString());
        assertEquals(0, c.getStatus().getRestartCount());
        assertEquals(1, f.engine.runtime().list(NS).stream().filter(t -> t.id().equals(name)).count());

        edit(c, spec(List.of("sleep", "2000"), new ContainerSpec.Resources("96Mi", "1", 60L), RestartPolicy.Always));
        c.getSpec();
        ContainerSpec stop = new ContainerSpec(ContainerFixture.IMAGE, null, List.of("sleep", "2000"), null, null,
                null, new ContainerSpec.Resources("96Mi", "1", 60L), null, null, false, RestartPolicy.Always,
                DesiredState.Stopped, null, null);
        edit(c, stop);
        assertEquals(Result.converged(), f.reconcile(c));
        assertEquals(ContainerPhase.Stopped, c.getStatus().getPhase());
        assertEquals(TaskState.STOPPED, f.task(name).orElseThrow().state());
        assertEquals(Result.converged(), f.reconcile(c), "a requested stop is no crash");
        assertEquals(ContainerPhase.Stopped, c.getStatus().getPhase());
        edit(c, spec(List.of("sleep", "2000"), new ContainerSpec.Resources("96Mi", "1", 60L), RestartPolicy.Always));
        f.reconcileUntil(c, x -> phase(x, ContainerPhase.Running));
        assertEquals(0, c.getStatus().getRestartCount());
        f.reconciler.cleanup(c, dev.berth.reconcilers.Context.first(f.clock));
    }

    @Test
    void aNewImageDigestRecreatesWithTheNewConfig() throws Exception {
        Container c = running("digest", spec(SLEEP, null, RestartPolicy.Always));
        String name = c.getMetadata().getName();
        int pid = c.getStatus().getPid();
        var v2 = dev.berth.engine.testing.OciImageBuilder.busybox().env("IMAGE_VERSION=2").build();
        v2.writeTo(f.engine.content());
        dev.berth.crd.image.Image img = (dev.berth.crd.image.Image) f.objects.get(
                new ObjectRef("Image", NS, ContainerFixture.IMAGE));
        String old = img.getStatus().getDigest();
        f.engine.images().put(dev.berth.engine.images.Image.of(f.imageRef, v2.target()));
        img.getStatus().setDigest(v2.target().digest().toString());
        try {
            f.reconcileUntil(c, x -> phase(x, ContainerPhase.Running) && !x.getStatus().getPid().equals(pid));
            assertEquals(v2.target().digest().toString(), c.getStatus().getImageDigest());
            // a surge: the new task started next to the old one, which went once the new one was Ready
            List<String> reasons = f.reasons(name);
            assertTrue(reasons.indexOf("Surging") >= 0 && reasons.indexOf("SurgeComplete") > reasons.indexOf("Surging"),
                    f.events.toString());
            assertFalse(reasons.contains("Recreating"), f.events.toString());
            assertEquals(RuntimeIds.surgeId(name, v2.target().digest().toString()), c.getStatus().getContainerID());
            assertTrue(f.engine.runtime().find(NS, name).isEmpty(), "the old task is gone");
            // runc start returns before the init has exec'd the command (until then /proc shows runc's environment)
            Path environ = Path.of("/proc", c.getStatus().getPid().toString(), "environ");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
                    assertTrue(Files.readString(environ).contains("IMAGE_VERSION=2"), Files.readString(environ)));
        } finally {
            f.engine.images().put(dev.berth.engine.images.Image.of(f.imageRef, f.image.target()));
            img.getStatus().setDigest(old);
        }
        f.reconciler.cleanup(c, dev.berth.reconcilers.Context.first(f.clock));
    }

    @Test
    void killedTaskIsRestartedPerPolicy() throws Exception {
        Container c = running("kill", spec(SLEEP, null, RestartPolicy.Always));
        int pid = c.getStatus().getPid();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        // a first exit is restarted at once (the fake clock does not move)
        f.reconcileUntil(c, x -> phase(x, ContainerPhase.Running) && !x.getStatus().getPid().equals(pid));
        assertEquals(1, c.getStatus().getRestartCount());
        assertTrue(f.reasons(c.getMetadata().getName()).contains("Restarted"), f.events.toString());
        f.reconciler.cleanup(c, dev.berth.reconcilers.Context.first(f.clock));
    }

    /**
     * Regression (issue 12): restartCount missed a restart when the daemon died after the old task was
     * deleted and before the new one was recorded. Here the new task's create fails at that point (its
     * image record is gone for a moment) instead of the daemon dying; the restart must still count once.
     */
    @Test
    void aRestartCutBetweenDeleteAndCreateIsCountedOnce() throws Exception {
        Container c = running("cut", spec(SLEEP, null, RestartPolicy.Always));
        String name = c.getMetadata().getName();
        int pid = c.getStatus().getPid();
        var record = f.engine.images().get(f.imageRef);
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        for (int i = 0; i < 300 && !f.task(name).map(t -> t.state() == TaskState.STOPPED).orElse(false); i++) {
            Thread.sleep(100);
        }
        assertEquals(TaskState.STOPPED, f.task(name).orElseThrow().state());
        f.engine.images().delete(f.imageRef);
        org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> f.reconcile(c));
        assertTrue(f.task(name).isEmpty(), "the old task was deleted before the create failed");
        f.engine.images().put(record);
        f.reconcileUntil(c, x -> phase(x, ContainerPhase.Running) && !x.getStatus().getPid().equals(pid));
        assertEquals(1, c.getStatus().getRestartCount(), f.events.toString());
        assertEquals(1, f.reconciler.record(NS, name).orElseThrow().restartCount());
        assertTrue(f.reasons(name).contains("Restarted") && !f.reasons(name).contains("DriftRepaired"), f.events.toString());
        // a second kill counts as the second restart
        int pid2 = c.getStatus().getPid();
        ProcessHandle.of(pid2).orElseThrow().destroyForcibly();
        f.reconcileUntil(c, x -> phase(x, ContainerPhase.Running) && !x.getStatus().getPid().equals(pid2)
                || phase(x, ContainerPhase.CrashLoopBackOff));
        f.clock.advance(Duration.ofMinutes(6));
        f.reconcileUntil(c, x -> phase(x, ContainerPhase.Running) && !x.getStatus().getPid().equals(pid2));
        assertEquals(2, c.getStatus().getRestartCount(), f.events.toString());
        f.reconciler.cleanup(c, dev.berth.reconcilers.Context.first(f.clock));
    }

    @Test
    void containerDeletedWithRuncIsRecreated() throws Exception {
        Container c = running("rdel", spec(SLEEP, null, RestartPolicy.Always));
        String name = c.getMetadata().getName();
        int pid = c.getStatus().getPid();
        Process p = new ProcessBuilder("runc", "--root", f.tmp.resolve("state/runc/" + NS).toString(), "delete", "-f",
                name).redirectErrorStream(true).start();
        assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes()));
        f.reconcileUntil(c, x -> phase(x, ContainerPhase.Running) && !x.getStatus().getPid().equals(pid));
        assertEquals(TaskState.RUNNING, f.task(name).orElseThrow().state());
        f.reconciler.cleanup(c, dev.berth.reconcilers.Context.first(f.clock));
    }

    @Test
    void changedMemoryLimitIsRestored() throws Exception {
        Container c = running("mem", spec(SLEEP, LIMITS, RestartPolicy.Always));
        String name = c.getMetadata().getName();
        Files.writeString(memoryFile(c.getStatus()), Long.toString(32L << 20));
        assertEquals(32L << 20, memoryLimitFile(c.getStatus()));
        assertEquals(Result.converged(), f.reconcile(c));
        assertEquals(64L << 20, memoryLimitFile(c.getStatus()));
        assertEquals(64L << 20, c.getStatus().getLimits().memoryBytes());
        assertTrue(f.reasons(name).contains("DriftRepaired"), f.events.toString());
        f.reconciler.cleanup(c, dev.berth.reconcilers.Context.first(f.clock));
    }

    @Test
    void unmountedRootfsIsRemountedAndARemovedSnapshotRecreates() throws Exception {
        Container c = running("snap", spec(SLEEP, null, RestartPolicy.Always));
        String name = c.getMetadata().getName();
        int pid = c.getStatus().getPid();
        Unmount.unmountAll(f.rootfs(name));
        assertFalse(MountTable.isMountPoint(f.rootfs(name)));
        assertEquals(Result.converged(), f.reconcile(c));
        assertTrue(MountTable.isMountPoint(f.rootfs(name)));
        assertEquals(pid, c.getStatus().getPid(), "a remount needs no restart");
        assertTrue(Files.exists(f.rootfs(name).resolve("bin/busybox")));

        Unmount.unmountAll(f.rootfs(name));
        f.engine.snapshotter().remove(ContainerReconciler.snapshotKey(NS, name));
        f.reconcileUntil(c, x -> phase(x, ContainerPhase.Running) && !x.getStatus().getPid().equals(pid));
        assertTrue(MountTable.isMountPoint(f.rootfs(name)));
        assertTrue(f.engine.containerRootfs().exists(f.engine.snapshotter().name(),
                ContainerReconciler.snapshotKey(NS, name)));
        assertEquals(2, f.reasons(name).stream().filter("DriftRepaired"::equals).count(), f.events.toString());
        f.reconciler.cleanup(c, dev.berth.reconcilers.Context.first(f.clock));
    }

    @Test
    void anEngineRestartResumesWithoutDuplicateTasks() throws Exception {
        Container c = running("resume", spec(SLEEP, LIMITS, RestartPolicy.Always));
        String name = c.getMetadata().getName();
        int pid = c.getStatus().getPid();
        f.reopen();
        Container fresh = f.container(name, c.getSpec());
        assertEquals(Result.converged(), f.reconcile(fresh));
        assertEquals(ContainerPhase.Running, fresh.getStatus().getPhase());
        assertEquals(pid, fresh.getStatus().getPid());
        assertEquals(1, f.engine.runtime().list(NS).stream().filter(t -> t.id().equals(name)).count());
        assertEquals(List.of("Created", "Started"), f.reasons(name));
        f.reconciler.cleanup(fresh, dev.berth.reconcilers.Context.first(f.clock));
    }
}
