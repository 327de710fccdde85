package dev.berth.reconcilers.container;

import static dev.berth.reconcilers.container.ContainerFixture.NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.sandbox.Bandwidths;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.crd.sandbox.SandboxSpec;
import dev.berth.crd.sandbox.SandboxStatus;
import dev.berth.engine.sandbox.PodSandboxes;
import dev.berth.engine.testing.RootOnly;
import dev.berth.engine.testing.TestNetwork;
import dev.berth.reconcilers.Context;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The runtime-config capabilities {@code ips} and {@code bandwidth} with Debian's real plugins: a
 * Sandbox's requested address is the one host-local reserves and the one on eth0 inside its
 * namespace; its bandwidth limits are the tbf qdiscs on the host veth (ingress) and on the
 * bandwidth plugin's ifb device (egress), from spec.bandwidth and from kubelet's annotation; a
 * network that declares neither capability, or an address outside the range, is a NetworkSetupFailed
 * condition that names the fix and leaves nothing behind. Deletion removes the qdiscs' ifb device.
 */
@RootOnly("runs runc, CNI plugins, tc and network namespaces")
class SandboxCapabilitiesIT {
    SandboxFixture s;
    TestNetwork net;
    final Set<String> ifbsBefore = new TreeSet<>();

    @BeforeEach
    void setUp() throws Exception {
        s = new SandboxFixture();
        net = s.net;
        ifbsBefore.addAll(ifbDevices());
        // the bandwidth plugin's ifb devices are host-global: any the test leaves (a failed DEL) go
        s.hostCleanup.then(() -> {
            for (String d : ifbDevices()) {
                if (!ifbsBefore.contains(d) && d.startsWith("bwp")) {
                    TestNetwork.run("ip", "link", "del", "dev", d);
                }
            }
        });
        Files.writeString(net.conflistFile(), net.conflist(true, true), StandardCharsets.UTF_8);
    }

    @AfterEach
    void tearDown() throws Exception {
        s.close();
    }

    private static SandboxSpec spec(List<String> ips, SandboxSpec.Bandwidth bw) {
        return new SandboxSpec(null, Sandbox.NetworkMode.Cni, null, null, null, false, ips, bw, null);
    }

    @Test
    void theRequestedAddressIsAssignedAndTheLimitsAreInstalledOnTheHostVeth() throws Exception {
        String want = net.prefix() + ".77";
        Sandbox sb = s.sandbox(s.f.name("shaped"), spec(List.of(want + "/24"),
                new SandboxSpec.Bandwidth("10M", null, "2M", "1M")));
        s.reconcile(sb);
        SandboxStatus st = sb.getStatus();
        assertTrue(st.isReady(), st.toString());
        assertEquals(want, st.getIp());
        assertEquals(List.of(want), net.reservations(), "host-local reserved the requested address");
        String addr = out("nsenter", "--net=" + st.getNetnsPath(), "ip", "-4", "-o", "addr", "show", "dev", "eth0");
        assertTrue(addr.contains(" " + want + "/24 "), addr);

        String veth = hostVeth(st);
        assertEquals(List.of(veth), net.bridgePorts());
        String qdiscs = out("tc", "qdisc", "show", "dev", veth);
        assertTrue(qdiscs.contains("qdisc tbf") && qdiscs.contains("rate 10Mbit"), qdiscs);
        assertTrue(qdiscs.contains("qdisc ingress"), "egress is redirected from the veth's ingress: " + qdiscs);
        List<String> ifbs = newIfbs();
        assertEquals(1, ifbs.size(), ifbs.toString());
        String egress = out("tc", "qdisc", "show", "dev", ifbs.get(0));
        assertTrue(egress.contains("qdisc tbf") && egress.contains("rate 2Mbit"), egress);

        // unchanged: the next look keeps the sandbox (CHECK of the chain, bandwidth included, passes)
        int pid = st.getPid();
        s.reconcile(sb);
        assertEquals(pid, sb.getStatus().getPid());

        // kubelet's annotation, on a second sandbox without spec.bandwidth
        Sandbox annotated = s.sandbox(s.f.name("annotated"), spec(null, null));
        annotated.getMetadata().setAnnotations(Map.of(Bandwidths.INGRESS_ANNOTATION, "5M"));
        s.reconcile(annotated);
        assertTrue(annotated.getStatus().isReady(), annotated.getStatus().toString());
        String q2 = out("tc", "qdisc", "show", "dev", hostVeth(annotated.getStatus()));
        assertTrue(q2.contains("qdisc tbf") && q2.contains("rate 5Mbit"), q2);
        assertFalse(q2.contains("qdisc ingress"), "no egress limit was asked for: " + q2);

        for (Sandbox x : List.of(sb, annotated)) {
            s.sandboxes.cleanup(x, Context.first(s.f.clock));
            s.f.objects.remove(dev.berth.crd.ObjectRef.of(x));
        }
        assertEquals(List.of(), net.reservations());
        assertEquals(List.of(), net.bridgePorts());
        assertFalse(TestNetwork.linkExists(veth));
        assertEquals(List.of(), newIfbs(), "DEL removed the ifb device");
    }

    @Test
    void aNetworkThatCannotHonourTheRequestSaysSoAndLeavesNothing() throws Exception {
        List<String> announced = new java.util.concurrent.CopyOnWriteArrayList<>();
        AutoCloseable sub = s.f.engine.events().subscribe(e -> {
            if (e.topic().startsWith("/sandboxes/")) {
                announced.add(e.topic() + " " + e.field("sandbox_id"));
            }
        });
        s.hostCleanup.then(sub::close);
        // an address outside the network's range: host-local refuses it
        Sandbox outside = s.sandbox(s.f.name("outside"), spec(List.of("10.199.254.9"), null));
        s.reconcile(outside);
        var c = outside.getStatus().condition("Ready").orElseThrow();
        assertEquals("NetworkSetupFailed", c.reason());
        assertTrue(c.message().contains("10.199.254.9") && c.message().contains("failed ADD"), c.message());
        assertEquals(List.of(), net.reservations());

        // a network that declares neither capability: refused before ADD, naming the file and the fix
        Files.writeString(net.conflistFile(), net.conflist(true, false), StandardCharsets.UTF_8);
        Sandbox ips = s.sandbox(s.f.name("ips"), spec(List.of(net.prefix() + ".9"), null));
        s.reconcile(ips);
        var m = ips.getStatus().condition("Ready").orElseThrow();
        assertEquals("NetworkSetupFailed", m.reason());
        assertTrue(m.message().contains("\"ips\"") && m.message().contains(net.conflistFile().toString())
                && m.message().contains("capabilities"), m.message());
        Sandbox bw = s.sandbox(s.f.name("bw"), spec(null, new SandboxSpec.Bandwidth(null, null, "1M", null)));
        s.reconcile(bw);
        var b = bw.getStatus().condition("Ready").orElseThrow();
        assertEquals("NetworkSetupFailed", b.reason());
        assertTrue(b.message().contains("\"bandwidth\"") && b.message().contains("\"type\": \"bandwidth\""), b.message());

        assertEquals(List.of(), net.reservations());
        assertEquals(List.of(), net.bridgePorts());
        assertEquals(List.of(), newIfbs());
        assertEquals(List.of(), announced, "a build that failed in its network setup is not announced");
        for (Sandbox x : List.of(outside, ips, bw)) {
            String id = PodSandboxes.pauseId(x.getMetadata().getName());
            assertTrue(s.f.engine.containers().find(NS, id).isEmpty());
            assertEquals(List.of(), s.f.engine.cni().cache().of(id));
            assertFalse(Files.exists(s.f.tmp.resolve("state/netns").resolve(NS + "_" + x.getMetadata().getName())));
        }
    }

    private static String hostVeth(SandboxStatus st) {
        return st.getInterfaces().stream().filter(i -> i.sandbox() == null && i.mac() != null)
                .map(SandboxStatus.NetworkInterface::name).filter(n -> n.startsWith("veth")).findFirst()
                .orElseThrow(() -> new AssertionError("no host veth in " + st.getInterfaces()));
    }

    private List<String> newIfbs() throws Exception {
        List<String> out = new ArrayList<>();
        for (String d : ifbDevices()) {
            if (!ifbsBefore.contains(d)) {
                out.add(d);
            }
        }
        return out;
    }

    private static List<String> ifbDevices() throws Exception {
        return out("ip", "-o", "link", "show", "type", "ifb").lines().filter(l -> l.contains(": "))
                .map(l -> l.split(": ")[1].split("@")[0]).toList();
    }

    private static String out(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", argv) + " failed: " + text);
        }
        return text;
    }
}
