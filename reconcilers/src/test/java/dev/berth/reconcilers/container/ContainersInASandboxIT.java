package dev.berth.reconcilers.container;

import static dev.berth.reconcilers.container.ContainerFixture.NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.RestartPolicy;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageSpec;
import dev.berth.crd.image.ImageStatus;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.crd.sandbox.SandboxSpec;
import dev.berth.crd.sandbox.SandboxStatus;
import dev.berth.crd.status.Condition;
import dev.berth.crd.status.Conditions;
import dev.berth.engine.sandbox.SandboxFiles;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Container side of a sandbox with real runc under conmon: Containers naming a Ready Sandbox
 * join the namespaces of its holder process (network, IPC, UTS; PID with shareProcessNamespace) and
 * see the sandbox's /etc/hosts, /etc/hostname and /etc/resolv.conf; two of them talk over
 * 127.0.0.1. The holder here is a plain Container made through the same container path and the
 * Sandbox status is written as the Sandbox reconciler writes it (pid, Ready, the files), so this
 * test covers the joining without CNI (the sandbox has loopback only, as network None).
 */
class ContainersInASandboxIT {
    static ContainerFixture f;

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        f = new ContainerFixture();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (f != null) {
            try {
                SandboxFiles.remove(f.tmp.resolve("state"), NS, f.name("pod"));
            } finally {
                f.close();
            }
        }
    }

    private static ContainerSpec inSandbox(String sandbox, RestartPolicy policy, String script) {
        return new ContainerSpec(ContainerFixture.IMAGE, List.of("sh", "-c"), List.of(script), null, null, null, null,
                null, null, false, policy, null, sandbox, null);
    }

    @Test
    void containersJoinTheSandboxAndTalkOverLocalhost() throws Exception {
        String pod = f.name("pod");
        // the holder: what the pause container is to a real sandbox
        Container holder = f.container(f.name("holder"), new ContainerSpec(ContainerFixture.IMAGE, null,
                List.of("sleep", "1000"), null, null, null, null, null, "pod-host", false, RestartPolicy.Always, null,
                null, null));
        f.reconcileUntil(holder, c -> c.getStatus() != null && c.getStatus().getPhase() == ContainerPhase.Running);
        int pid = holder.getStatus().getPid();

        Sandbox sb = new Sandbox();
        sb.setMetadata(new ObjectMetaBuilder().withName(pod).withNamespace(NS).withGeneration(1L).build());
        sb.setSpec(new SandboxSpec("pod-host", Sandbox.NetworkMode.None, null, null,
                List.of(new SandboxSpec.HostAlias("127.0.0.1", List.of("server.local"))), false, null));
        SandboxStatus st = new SandboxStatus();
        st.setPid(pid);
        st.setPhase("Ready");
        Conditions.set(st.getConditions(), Condition.of(Condition.READY, true, "Ready", "test holder"), f.clock);
        sb.setStatus(st);
        SandboxFiles.write(f.tmp.resolve("state"), NS, pod, "pod-host", List.of(),
                List.of(new SandboxFiles.HostEntry("127.0.0.1", List.of("server.local"))),
                new SandboxFiles.Dns(List.of("10.0.0.10"), List.of("svc.local"), List.of()));
        f.put(sb);

        Container server = f.container(f.name("server"), inSandbox(pod, RestartPolicy.Always,
                "mkdir -p /www && echo hello-from-server > /www/index.html && exec httpd -f -p 127.0.0.1:8081 -h /www"));
        f.reconcileUntil(server, c -> c.getStatus() != null && c.getStatus().getPhase() == ContainerPhase.Running);

        // the client retries until the server listens, then checks what the sandbox gave it
        Container client = f.container(f.name("client"), inSandbox(pod, RestartPolicy.Never, String.join("; ",
                "for i in $(seq 1 100); do wget -q -O /tmp/page http://server.local:8081/ && break; sleep 0.1; done",
                check("grep -qx hello-from-server /tmp/page", "page over localhost"),
                check("[ \"$(hostname)\" = pod-host ]", "hostname"),
                check("grep -qx pod-host /etc/hostname", "/etc/hostname"),
                check("grep -q 'nameserver 10.0.0.10' /etc/resolv.conf", "resolv.conf nameserver"),
                check("grep -q 'search .*svc.local' /etc/resolv.conf", "resolv.conf search"),
                "echo all-checks-passed")));
        f.reconcileUntil(client, c -> c.getStatus() != null && c.getStatus().getPhase() == ContainerPhase.Exited);
        assertEquals(0, client.getStatus().getExitCode(), () -> "client checks failed; log: " + log(client));

        // the namespaces are the holder's, not new ones
        int serverPid = server.getStatus().getPid();
        for (String ns : List.of("net", "ipc", "uts")) {
            assertEquals(Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", ns)),
                    Files.readSymbolicLink(Path.of("/proc", Integer.toString(serverPid), "ns", ns)), ns);
        }
        assertNotEquals(Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", "pid")),
                Files.readSymbolicLink(Path.of("/proc", Integer.toString(serverPid), "ns", "pid")),
                "PID namespace shared only with shareProcessNamespace");

        // the sandbox is rebuilt (a new holder, as after drift repair): its containers are recreated in it
        Container holder2 = f.container(f.name("holder2"), new ContainerSpec(ContainerFixture.IMAGE, null,
                List.of("sleep", "1000"), null, null, null, null, null, "pod-host", false, RestartPolicy.Always, null,
                null, null));
        f.reconcileUntil(holder2, c -> c.getStatus() != null && c.getStatus().getPhase() == ContainerPhase.Running);
        int pid2 = holder2.getStatus().getPid();
        st.setPid(pid2);
        f.reconcileUntil(server, c -> c.getStatus().getPhase() == ContainerPhase.Running
                && c.getStatus().getPid() != null && c.getStatus().getPid() != serverPid);
        assertEquals(Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid2), "ns", "net")),
                Files.readSymbolicLink(Path.of("/proc", Integer.toString(server.getStatus().getPid()), "ns", "net")));
        assertTrue(f.events.stream().anyMatch(e -> e.startsWith(server.getMetadata().getName() + " Recreating: the instance"
                + " of Sandbox " + pod)), f.events.toString());
        int recreatedPid = server.getStatus().getPid();
        f.reconcile(server);
        assertEquals(recreatedPid, server.getStatus().getPid(), "an unchanged sandbox leaves its containers alone");

        // a new image digest: a member shares the sandbox's network namespace (and its host ports) with
        // its old task, so it is recreated in place, never as a surge next to it
        var v2 = dev.berth.engine.testing.OciImageBuilder.busybox().env("IMAGE_VERSION=2").build();
        v2.writeTo(f.engine.content());
        dev.berth.crd.image.Image img = (dev.berth.crd.image.Image) f.objects.get(
                new dev.berth.crd.ObjectRef("Image", NS, ContainerFixture.IMAGE));
        String old = img.getStatus().getDigest();
        f.engine.images().put(dev.berth.engine.images.Image.of(f.imageRef, v2.target()));
        img.getStatus().setDigest(v2.target().digest().toString());
        try {
            f.reconcileUntil(server, c -> c.getStatus().getPhase() == ContainerPhase.Running
                    && v2.target().digest().toString().equals(c.getStatus().getImageDigest()));
            assertEquals(server.getMetadata().getName(), server.getStatus().getContainerID());
            assertTrue(f.events.stream().anyMatch(e -> e.startsWith(server.getMetadata().getName() + " Recreating: image"
                    + " digest") && e.contains("in place: it shares Sandbox " + pod)), f.events.toString());
            assertTrue(f.events.stream().noneMatch(e -> e.startsWith(server.getMetadata().getName() + " Surging")));
            assertEquals(List.of(server.getMetadata().getName()), f.engine.runtime().list(NS).stream()
                    .map(t -> t.id()).filter(id -> RuntimeIds.ownedBy(id, server.getMetadata().getName())).toList());
        } finally {
            f.engine.images().put(dev.berth.engine.images.Image.of(f.imageRef, f.image.target()));
            img.getStatus().setDigest(old);
        }
    }

    /**
     * Berth's pause program (bin/pause/pause.c, compiled here as bin/build-pause-image does) as a
     * sandbox holder: members with shareProcessNamespace see it as PID 1, and a stop ends it with
     * exit code 0 on SIGTERM (a PID 1 without a handler would ignore TERM and be killed after the
     * grace period instead).
     */
    @Test
    void pauseIsPid1OfASharedPidNamespaceAndStopsOnTerm() throws Exception {
        String ref = "localhost/berth-test/pause-" + f.suffix + ":1";
        var record = f.importPauseImage(ref);
        Image img = new Image();
        img.setMetadata(new ObjectMetaBuilder().withName("pause").withNamespace(NS).withGeneration(1L).build());
        img.setSpec(new ImageSpec(ref, null, null, null, null, null));
        ImageStatus ist = new ImageStatus();
        ist.setDigest(record.target().digest().toString());
        Conditions.set(ist.getConditions(), Condition.of(Condition.READY, true, "Imported", "ready"), f.clock);
        img.setStatus(ist);
        f.put(img);

        String pod = f.name("pidpod");
        Container holder = f.container(f.name("pause"), new ContainerSpec("pause", null, null, null, null, null, null,
                null, pod, false, RestartPolicy.Never, null, null, null));
        f.reconcileUntil(holder, c -> c.getStatus() != null && c.getStatus().getPhase() == ContainerPhase.Running);

        Sandbox sb = new Sandbox();
        sb.setMetadata(new ObjectMetaBuilder().withName(pod).withNamespace(NS).withGeneration(1L).build());
        sb.setSpec(new SandboxSpec(pod, Sandbox.NetworkMode.None, null, null, null, true, null));
        SandboxStatus st = new SandboxStatus();
        st.setPid(holder.getStatus().getPid());
        Conditions.set(st.getConditions(), Condition.of(Condition.READY, true, "Ready", "test holder"), f.clock);
        sb.setStatus(st);
        f.put(sb);

        Container member = f.container(f.name("member"), inSandbox(pod, RestartPolicy.Never, String.join("; ",
                check("[ \"$(cat /proc/1/comm)\" = pause ]", "pause is PID 1"),
                check("[ \"$(hostname)\" = " + pod + " ]", "hostname of the sandbox"),
                "echo all-checks-passed")));
        f.reconcileUntil(member, c -> c.getStatus() != null && c.getStatus().getPhase() == ContainerPhase.Exited);
        assertEquals(0, member.getStatus().getExitCode(), () -> "member checks failed; log: " + log(member));

        var stopped = f.engine.runtime().stop(NS, holder.getMetadata().getName(), java.time.Duration.ofSeconds(30));
        assertEquals(0, stopped.exitCode(), "pause exits 0 on SIGTERM");
    }

    /** A shell step that prints what failed and exits 1. */
    private static String check(String test, String what) {
        return test + " || { echo \"FAILED: " + what + "\"; cat /etc/hosts /etc/hostname /etc/resolv.conf; hostname; exit 1; }";
    }

    private static String log(Container c) {
        try {
            return Files.readString(f.tmp.resolve("logs").resolve(NS).resolve(c.getMetadata().getName() + ".log"));
        } catch (Exception e) {
            return "(no log: " + e + ")";
        }
    }
}
