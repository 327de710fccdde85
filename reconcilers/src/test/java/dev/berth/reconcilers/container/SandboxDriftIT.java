package dev.berth.reconcilers.container;

import static dev.berth.reconcilers.container.ContainerFixture.NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.RestartPolicy;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.engine.sandbox.PodSandboxes;
import dev.berth.engine.testing.RootOnly;
import dev.berth.engine.testing.TestNetwork;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A pod's life on a real node (Berth's pause, runc under conmon, Debian's CNI plugins on a bridge
 * and subnet of the test's own): each kind of drift the issue names (the pause process killed, the
 * netns unmounted, the container's address removed, portmap's rules flushed, route_localnet turned
 * off on the bridge) is noticed by the
 * next reconcile, repaired by a rebuild, and the published port answers again from the recreated
 * Container, with one address reserved and one veth on the bridge; two Containers in one CNI
 * sandbox talk over 127.0.0.1; deleting a Sandbox stops its Containers first, removes everything it
 * made, and the Containers come back when it does.
 */
@RootOnly("runs runc, CNI plugins and network namespaces")
class SandboxDriftIT {
    SandboxFixture s;
    ContainerFixture f;

    @BeforeEach
    void setUp() throws Exception {
        s = new SandboxFixture();
        f = s.f;
    }

    @AfterEach
    void tearDown() throws Exception {
        s.close();
    }

    /** One way the node drifts: what to break, and what the DriftRepaired event must say. */
    private record Drift(String what, String eventSays, Breaker breaker) {
    }

    private interface Breaker {
        void breakIt(Sandbox sb, String pauseId) throws Exception;
    }

    private static boolean sleep(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return true;
    }

    private static int sh(String... argv) throws Exception {
        return TestNetwork.run(argv);
    }

    @Test
    void everyKindOfDriftIsRepairedAndThePortAnswersAgain() throws Exception {
        String pod = f.name("drift");
        int hostPort = TestNetwork.freeTcpPort();
        Sandbox sb = s.sandbox(pod, SandboxFixture.withPort(8080, hostPort));
        s.reconcile(sb);
        assertTrue(sb.getStatus().isReady(), sb.getStatus().toString());
        Container web = s.webServer(f.name("web"), pod);
        String url = "http://127.0.0.1:" + hostPort + "/";
        assertEquals(pod + "\n", TestNetwork.httpGet(url));
        String pauseId = PodSandboxes.pauseId(pod);

        List<Drift> drifts = List.of(
                new Drift("pause killed", "the pause process of the sandbox is not running",
                        (b, id) -> assertEquals(0, sh("kill", "-KILL", b.getStatus().getPid().toString()))),
                new Drift("netns unmounted", "is no longer mounted",
                        (b, id) -> assertEquals(0, sh("umount", b.getStatus().getNetnsPath()))),
                new Drift("address removed", "bridge",
                        (b, id) -> assertEquals(0, sh("nsenter", "--net=" + b.getStatus().getNetnsPath(), "ip", "addr",
                                "del", b.getStatus().getIp() + "/24", "dev", "eth0"))),
                new Drift("portmap rules flushed", "DNAT rules", (b, id) -> {
                    // only this sandbox's own chain: other tests' rules live in the same table
                    String chain = TestNetwork.iptablesLinesWith(id).stream().filter(l -> l.contains(" -j CNI-DN-"))
                            .map(l -> l.substring(l.indexOf(" -j CNI-DN-") + 4).split(" ")[0]).findFirst().orElseThrow();
                    assertEquals(0, sh("iptables", "-t", "nat", "-F", chain));
                }),
                // the rules are all there, but 127.0.0.1 is no longer routed across to the bridge
                new Drift("route_localnet off", "route_localnet", (b, id) -> assertEquals(0, sh("sysctl", "-q", "-w",
                        "net.ipv4.conf." + s.net.bridge() + ".route_localnet=0"))));
        for (Drift d : drifts) {
            int pausePid = sb.getStatus().getPid();
            int serverPid = web.getStatus().getPid();
            long repairedBefore = f.events.stream().filter(e -> e.startsWith(pod + " DriftRepaired: ")).count();
            d.breaker().breakIt(sb, pauseId);

            // a killed process is gone a moment after kill(1) returns: the resync that follows sees it
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
            do {
                s.reconcile(sb);
            } while (f.events.stream().filter(e -> e.startsWith(pod + " DriftRepaired: ")).count() == repairedBefore
                    && System.nanoTime() < deadline && sleep(200));
            List<String> repaired = f.events.stream().filter(e -> e.startsWith(pod + " DriftRepaired: ")).toList();
            assertEquals(repairedBefore + 1, repaired.size(), d.what() + ": " + f.events);
            assertTrue(repaired.get(repaired.size() - 1).contains(d.eventSays()), d.what() + ": " + repaired);
            assertTrue(sb.getStatus().isReady(), d.what() + ": " + sb.getStatus());
            assertNotEquals(pausePid, sb.getStatus().getPid(), d.what());
            assertEquals(List.of(sb.getStatus().getIp()), s.net.reservations(), d.what() + ": the old address is released");

            f.reconcileUntil(web, c -> c.getStatus().getPhase() == ContainerPhase.Running
                    && c.getStatus().getPid() != null && c.getStatus().getPid() != serverPid);
            assertEquals(pod + "\n", TestNetwork.httpGet(url), d.what());
            assertEquals(1, s.bridgePorts().size(), d.what() + ": one veth on the bridge: " + s.bridgePorts());
            s.reconcile(sb);
            assertEquals(repairedBefore + 1, f.events.stream().filter(e -> e.startsWith(pod + " DriftRepaired: "))
                    .count(), d.what() + ": repaired means no drift at the next look");
        }
    }

    @Test
    void twoContainersTalkOverLocalhostAndADeletedSandboxStopsThemFirst() throws Exception {
        String pod = f.name("pod");
        int hostPort = TestNetwork.freeTcpPort();
        Sandbox sb = s.sandbox(pod, SandboxFixture.withPort(8080, hostPort));
        s.reconcile(sb);
        assertTrue(sb.getStatus().isReady(), sb.getStatus().toString());
        Container web = s.webServer(f.name("server"), pod);
        // the sidecar reaches the server on 127.0.0.1: one network namespace for the pod
        Container sidecar = s.member(f.name("sidecar"), pod, RestartPolicy.Never,
                "for i in $(seq 1 100); do wget -q -O /tmp/page http://127.0.0.1:8080/ && break; sleep 0.1; done;"
                        + " grep -qx " + pod + " /tmp/page");
        f.reconcileUntil(sidecar, c -> c.getStatus() != null && c.getStatus().getPhase() == ContainerPhase.Exited);
        assertEquals(0, sidecar.getStatus().getExitCode(), "the sidecar read the server's page over localhost");

        // deletion requested: the sandbox waits for its running Container, which stops itself
        sb.getMetadata().setDeletionTimestamp(f.clock.instant().toString());
        String server = web.getMetadata().getName();
        Result held = s.sandboxes.cleanup(sb, Context.first(f.clock));
        assertInstanceOf(Result.RequeueAfter.class, held);
        assertTrue(f.events.stream().anyMatch(e -> e.startsWith(pod + " StoppingContainers: ") && e.contains(server)
                && !e.contains(sidecar.getMetadata().getName())), f.events.toString());
        assertTrue(f.engine.containers().find(NS, PodSandboxes.pauseId(pod)).isPresent(), "nothing removed yet");
        f.reconcile(web);
        assertTrue(f.task(server).isEmpty(), "the member's task is gone");
        var waiting = web.getStatus().condition("Ready").orElseThrow();
        assertEquals("WaitingForSandbox", waiting.reason());
        assertTrue(waiting.message().contains("being deleted"), waiting.message());

        assertInstanceOf(Result.Converged.class, s.sandboxes.cleanup(sb, Context.first(f.clock)));
        f.objects.remove(ObjectRef.of(sb));
        String pauseId = PodSandboxes.pauseId(pod);
        assertEquals(List.of(), s.net.reservations());
        assertEquals(List.of(), TestNetwork.iptablesLinesWith(pauseId));
        assertEquals(List.of(), s.bridgePorts());
        assertFalse(Files.exists(f.tmp.resolve("state/netns").resolve(NS + "_" + pod)));
        assertTrue(f.engine.containers().find(NS, pauseId).isEmpty());
        f.reconcile(web);
        assertTrue(f.task(server).isEmpty());
        assertTrue(web.getStatus().condition("Ready").orElseThrow().message().contains("does not exist"));

        // the sandbox is applied again: its Container is recreated in it and answers
        Sandbox again = s.sandbox(pod, SandboxFixture.withPort(8080, hostPort));
        s.reconcile(again);
        assertTrue(again.getStatus().isReady(), again.getStatus().toString());
        f.reconcileUntil(web, c -> c.getStatus().getPhase() == ContainerPhase.Running);
        assertEquals(pod + "\n", TestNetwork.httpGet("http://127.0.0.1:" + hostPort + "/"));
        assertTrue(Path.of(again.getStatus().getNetnsPath()).toFile().exists());
    }
}
