package dev.berth.reconcilers.container;

import static dev.berth.reconcilers.container.ContainerFixture.NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.RestartPolicy;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.crd.sandbox.SandboxSpec;
import dev.berth.engine.netns.NetNamespaces;
import dev.berth.engine.sandbox.PodSandboxes;
import dev.berth.engine.testing.RootOnly;
import dev.berth.engine.testing.TestNetwork;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.image.Registries;
import dev.berth.reconcilers.sandbox.SandboxReconciler;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sandboxes end to end on the node, with the real pause (bin/pause/pause.c), runc under conmon
 * and Debian's CNI plugins on a bridge and subnet of the test's own: a web Container in a Sandbox
 * answers on a host port from 127.0.0.1; a deleted veth is noticed, the sandbox rebuilt and the
 * Container recreated in it; deletion leaves no reservation, iptables rule, netns or veth; bad
 * input (no conflist, a taken host port, an unpullable pause image) becomes a condition that names
 * the file, field or config key.
 */
@RootOnly("runs runc, CNI plugins and network namespaces")
class SandboxReconcilerIT {
    SandboxFixture s;
    TestNetwork net;
    ContainerFixture f;
    SandboxReconciler sandboxes;
    Registries registries;
    String pauseRef;

    @BeforeEach
    void setUp() throws Exception {
        s = new SandboxFixture();
        net = s.net;
        f = s.f;
        sandboxes = s.sandboxes;
        registries = s.registries;
        pauseRef = s.pauseRef;
    }

    @AfterEach
    void tearDown() throws Exception {
        s.close();
    }

    private Sandbox sandbox(String name, SandboxSpec spec) {
        return s.sandbox(name, spec);
    }

    private static SandboxSpec withPort(int containerPort, int hostPort) {
        return SandboxFixture.withPort(containerPort, hostPort);
    }

    private void reconcile(Sandbox sb) throws Exception {
        s.reconcile(sb);
    }

    @Test
    void aWebContainerInASandboxAnswersOnAHostPortSurvivesDriftAndLeavesNothingBehind() throws Exception {
        String pod = f.name("web");
        int hostPort = TestNetwork.freeTcpPort();
        Sandbox sb = sandbox(pod, withPort(8080, hostPort));
        reconcile(sb);
        var st = sb.getStatus();
        assertTrue(st.isReady(), st.toString());
        assertTrue(st.getIp().startsWith(net.prefix() + "."), st.getIp());
        assertEquals(f.tmp.resolve("state/netns").resolve(NS + "_" + pod).toString(), st.getNetnsPath());
        assertTrue(NetNamespaces.isPinned(Path.of(st.getNetnsPath())));
        assertEquals(pauseRef, st.getPauseImage());
        assertTrue(st.getPauseImageDigest().startsWith("sha256:"));
        assertEquals(List.of(st.getIp()), net.reservations());
        int pausePid = st.getPid();
        // runc start returns once the init process was told to exec; the exec itself may come a moment later
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> Files.readString(
                Path.of("/proc", Integer.toString(pausePid), "cmdline")).startsWith("/pause"));

        Container web = f.container(f.name("server"), new ContainerSpec(ContainerFixture.IMAGE, List.of("sh", "-c"),
                List.of("mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"), null, null,
                null, null, null, null, false, RestartPolicy.Always, null, pod, null));
        f.put(web);
        f.reconcileUntil(web, c -> c.getStatus() != null && c.getStatus().getPhase() == ContainerPhase.Running);
        assertEquals(pod + "\n", TestNetwork.httpGet("http://127.0.0.1:" + hostPort + "/"));

        // an unchanged sandbox is left alone
        reconcile(sb);
        assertEquals(pausePid, sb.getStatus().getPid());

        // drift: the host side of the veth is deleted
        String hostVeth = sb.getStatus().getInterfaces().stream().filter(i -> i.sandbox() == null
                && !i.name().equals(net.bridge())).findFirst().orElseThrow().name();
        assertEquals(0, TestNetwork.run("ip", "link", "del", "dev", hostVeth));
        reconcile(sb);
        assertTrue(f.events.stream().anyMatch(e -> e.startsWith(pod + " DriftRepaired: ")), f.events.toString());
        assertTrue(sb.getStatus().isReady());
        assertNotEquals(pausePid, sb.getStatus().getPid());
        assertEquals(1, net.reservations().size(), "the old address was released: " + net.reservations());
        int oldServer = web.getStatus().getPid();
        f.reconcileUntil(web, c -> c.getStatus().getPhase() == ContainerPhase.Running && c.getStatus().getPid() != oldServer);
        assertEquals(pod + "\n", TestNetwork.httpGet("http://127.0.0.1:" + hostPort + "/"));

        // deletion, in order: the container, then the sandbox
        String pauseId = PodSandboxes.pauseId(pod);
        f.reconciler.cleanup(web, Context.first(f.clock));
        sandboxes.cleanup(sb, Context.first(f.clock));
        f.objects.remove(dev.berth.crd.ObjectRef.of(sb));
        assertEquals(List.of(), net.reservations());
        assertEquals(List.of(), TestNetwork.iptablesLinesWith(pauseId));
        assertFalse(Files.exists(f.tmp.resolve("state/netns").resolve(NS + "_" + pod)));
        assertTrue(f.engine.containers().find(NS, pauseId).isEmpty());
        assertEquals(List.of(), f.engine.cni().cache().of(pauseId));
    }

    @Test
    void badInputBecomesAConditionNamingTheFixAndLeavesOtherSandboxesAlone() throws Exception {
        int hostPort = TestNetwork.freeTcpPort();
        Sandbox first = sandbox(f.name("first"), withPort(80, hostPort));
        reconcile(first);
        assertTrue(first.getStatus().isReady());
        int firstPid = first.getStatus().getPid();

        Sandbox second = sandbox(f.name("second"), withPort(81, hostPort));
        reconcile(second);
        var ready = second.getStatus().condition("Ready").orElseThrow();
        assertEquals("HostPortConflict", ready.reason());
        assertTrue(ready.message().contains("spec.ports") && ready.message().contains(first.getMetadata().getName()),
                ready.message());

        // a host process on the port
        try (ServerSocket taken = new ServerSocket(0)) {
            Sandbox third = sandbox(f.name("third"), withPort(80, taken.getLocalPort()));
            reconcile(third);
            assertEquals("HostPortConflict", third.getStatus().condition("Ready").orElseThrow().reason());
            assertTrue(third.getStatus().condition("Ready").orElseThrow().message().contains("in use by a process"));
        }

        // no network configuration
        Path conf = Files.list(net.confDir()).findFirst().orElseThrow();
        Path aside = s.netDir.resolve("aside.conflist");
        Files.move(conf, aside);
        Sandbox fourth = sandbox(f.name("fourth"), SandboxSpec.of(null, Sandbox.NetworkMode.Cni));
        reconcile(fourth);
        var noConf = fourth.getStatus().condition("Ready").orElseThrow();
        assertEquals("NetworkSetupFailed", noConf.reason());
        assertTrue(noConf.message().contains(net.confDir().toString()) && noConf.message().contains("conf_dir"),
                noConf.message());
        // an unparsable one, named
        Files.writeString(conf, "{ not json");
        reconcile(fourth);
        assertTrue(fourth.getStatus().condition("Ready").orElseThrow().message().contains(conf.toString()));
        Files.move(aside, conf, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        // conf_dir edits apply without a restart
        reconcile(fourth);
        assertTrue(fourth.getStatus().isReady(), fourth.getStatus().toString());

        reconcile(first);
        assertEquals(firstPid, first.getStatus().getPid(), "the other sandbox was not disturbed");
        assertEquals(2, net.reservations().size(), net.reservations().toString());
    }

    @Test
    void anUnpullablePauseImageNamesTheConfigKey() throws Exception {
        f.engine.images().delete(pauseRef);
        // nothing listens on port 1: the pull fails at once, as on a node without a registry
        SandboxReconciler offline = new SandboxReconciler(f.engine, registries, f.lookup(), f.sink(), f.clock);
        Sandbox sb = sandbox(f.name("offline"), SandboxSpec.of(null, Sandbox.NetworkMode.None));
        offline.reconcile(sb, Context.first(f.clock)).writeTo(sb);
        var ready = sb.getStatus().condition("Ready").orElseThrow();
        assertEquals("PauseImageUnavailable", ready.reason());
        assertTrue(ready.message().contains("pinned_images.sandbox") && ready.message().contains("bin/build-pause-image"),
                ready.message());
    }

    @Test
    void networkNoneHasLoopbackOnlyAndHostSharesTheHostNamespace() throws Exception {
        Sandbox none = sandbox(f.name("none"), SandboxSpec.of(null, Sandbox.NetworkMode.None));
        reconcile(none);
        assertTrue(none.getStatus().isReady(), none.getStatus().toString());
        assertEquals(null, none.getStatus().getIp());
        Process ip = new ProcessBuilder("nsenter", "--net=" + none.getStatus().getNetnsPath(), "ip", "-o", "addr")
                .redirectErrorStream(true).start();
        String addrs = new String(ip.getInputStream().readAllBytes());
        ip.waitFor();
        assertTrue(addrs.contains("127.0.0.1") && !addrs.contains("eth0"), addrs);

        Sandbox host = sandbox(f.name("host"), new SandboxSpec(null, Sandbox.NetworkMode.Host, null, null, null, false,
                null));
        reconcile(host);
        assertTrue(host.getStatus().isReady(), host.getStatus().toString());
        assertEquals(null, host.getStatus().getNetnsPath());
        assertEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/net")),
                Files.readSymbolicLink(Path.of("/proc", host.getStatus().getPid().toString(), "ns", "net")));
    }
}
