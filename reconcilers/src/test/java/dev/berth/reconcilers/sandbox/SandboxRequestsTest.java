package dev.berth.reconcilers.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.crd.sandbox.SandboxSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SandboxRequestsTest {
    private static Sandbox sandbox(String name, SandboxSpec spec) {
        Sandbox s = new Sandbox();
        s.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("default").build());
        s.setSpec(spec);
        return s;
    }

    private static SandboxSpec ports(SandboxSpec.PortMapping... p) {
        return new SandboxSpec(null, null, List.of(p), null, null, false, null);
    }

    private static SandboxSpec.PortMapping tcp(int host, int container, String ip) {
        return new SandboxSpec.PortMapping(container, host, null, ip);
    }

    @Test
    void cniArgsAreKubeletsWithIgnoreUnknownFirst() {
        assertEquals(List.of("IgnoreUnknown=1", "K8S_POD_NAMESPACE=prod", "K8S_POD_NAME=web", "K8S_POD_INFRA_CONTAINER_ID=abc"),
                SandboxRequests.cniArgs(new ObjectRef("Sandbox", "prod", "web"), "abc").entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue()).toList());
    }

    @Test
    void capabilityArgsFollowTheCniConventions() {
        SandboxSpec spec = new SandboxSpec(null, null, List.of(tcp(8080, 80, null),
                new SandboxSpec.PortMapping(53, 5353, SandboxSpec.Protocol.UDP, "127.0.0.1"),
                new SandboxSpec.PortMapping(9090, null, null, null)),
                new SandboxSpec.Dns(List.of("10.0.0.10"), null, List.of("ndots:5")), null, false, null);
        assertEquals(Map.of(
                "portMappings", List.of(
                        Map.of("hostPort", 8080, "containerPort", 80, "protocol", "tcp"),
                        Map.of("hostPort", 5353, "containerPort", 53, "protocol", "udp", "hostIP", "127.0.0.1")),
                "dns", Map.of("servers", List.of("10.0.0.10"), "searches", List.of(), "options", List.of("ndots:5"))),
                SandboxRequests.capabilityArgs(spec));
        assertEquals(Map.of(), SandboxRequests.capabilityArgs(SandboxSpec.of(null, null)));
    }

    @Test
    void anotherSandboxOnTheSamePortIsNamed() {
        Sandbox a = sandbox("a", ports(tcp(18080, 80, null)));
        Sandbox b = sandbox("b", ports(tcp(18080, 8080, "127.0.0.1")));
        Sandbox c = sandbox("c", ports(tcp(18081, 80, null)));
        Sandbox host = sandbox("h", new SandboxSpec(null, Sandbox.NetworkMode.Host, List.of(tcp(18080, 18080, null)),
                null, null, false, null));
        assertEquals(Optional.of("spec.ports: host port 127.0.0.1:18080/tcp is already published by Sandbox default/a"
                + " (18080/tcp); choose another hostPort or remove it from one of them"),
                SandboxRequests.conflictWithOtherSandboxes(b, List.of(a, b, c, host)));
        assertEquals(Optional.empty(), SandboxRequests.conflictWithOtherSandboxes(c, List.of(a, b, c)));
        assertEquals(Optional.empty(), SandboxRequests.conflictWithOtherSandboxes(a, List.of(a, host)),
                "a Host-network sandbox's ports are not portmap's");
    }

    @Test
    void aHostProcessOnThePortIsReported() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Optional<String> p = SandboxRequests.conflictWithHostProcesses(ports(tcp(s.getLocalPort(), 80, "127.0.0.1")));
            assertTrue(p.isPresent() && p.get().contains("in use by a process on the host"), p.toString());
        }
    }

    @Test
    void hostnameDefaultsToTheObjectName() {
        assertEquals("pod", SandboxRequests.hostname(sandbox("pod", SandboxSpec.of(null, null))));
        assertEquals("web", SandboxRequests.hostname(sandbox("pod", SandboxSpec.of("web", null))));
    }

    @Test
    void ipsAndBandwidthTakeTheConventionsShapesInBits() {
        SandboxSpec spec = new SandboxSpec(null, null, null, null, null, false, List.of("10.9.0.7/24"),
                new SandboxSpec.Bandwidth("10M", null, "1.5M", "512Ki"), null);
        Map<String, Object> rc = SandboxRequests.capabilityArgs(spec);
        assertEquals(List.of("10.9.0.7/24"), rc.get("ips"));
        assertEquals(Map.of("ingressRate", 10_000_000L, "ingressBurst", 4_294_967_295L, "egressRate", 1_500_000L,
                "egressBurst", 524_288L), rc.get("bandwidth"));

        Sandbox annotated = sandbox("web", new SandboxSpec(null, null, null, null, null, false, null));
        annotated.getMetadata().setAnnotations(Map.of("kubernetes.io/egress-bandwidth", "2M"));
        assertEquals(Map.of("egressRate", 2_000_000L, "egressBurst", 4_294_967_295L),
                SandboxRequests.capabilityArgs(annotated).get("bandwidth"));
        assertTrue(!SandboxReconciler.applied(annotated).equals(SandboxReconciler.applied(sandbox("web",
                annotated.getSpec()))), "the annotation is part of what the sandbox was built from");
    }

    @Test
    void aSpecWithoutTheNewFieldsKeepsTheAppliedTextOfEarlierBuilds() {
        Sandbox sb = sandbox("web", ports(tcp(8080, 80, null)));
        assertTrue(!SandboxReconciler.applied(sb).contains("ips="), SandboxReconciler.applied(sb));
    }

    @Test
    void anAddressTheNetworkDidNotAssignIsNamed() {
        SandboxSpec spec = new SandboxSpec(null, null, null, null, null, false, List.of("10.9.0.7/24"), null, null);
        assertEquals(Optional.empty(), SandboxRequests.ipsNotAssigned(spec, List.of("10.9.0.7")));
        String why = SandboxRequests.ipsNotAssigned(spec, List.of("10.9.0.3")).orElseThrow();
        assertTrue(why.startsWith("spec.ips: 10.9.0.7/24 was requested but the CNI network assigned 10.9.0.3"), why);
    }
}
