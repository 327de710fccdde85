package dev.berth.crd.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.codec.SpecException;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.crd.sandbox.SandboxSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class SandboxValidationTest {
    private final SpecCodec codec = new SpecCodec();

    private Sandbox decode(String spec) {
        return (Sandbox) codec.decode("t", "apiVersion: berth.dev/v1alpha1\nkind: Sandbox\nmetadata: {name: pod}\nspec:\n"
                + spec).get(0).object();
    }

    private List<String> errors(String spec) {
        return Validator.validate(decode(spec)).stream().map(FieldError::toString).toList();
    }

    @Test
    void fullSpecIsValidAndDefaultsProtocolAndNetwork() {
        String yaml = """
                  hostname: web
                  ports:
                    - {containerPort: 80, hostPort: 8080}
                    - {containerPort: 53, hostPort: 5353, protocol: UDP, hostIP: 127.0.0.1}
                    - {containerPort: 9090}
                  dns:
                    nameservers: [10.0.0.10, "fd00::10"]
                    searches: [svc.cluster.local, example.com.]
                    options: [ndots:5, edns0]
                  hostAliases:
                    - {ip: 10.1.2.3, hostnames: [db, db.local]}
                  shareProcessNamespace: true
                """;
        assertEquals(List.of(), errors(yaml));
        SandboxSpec s = decode(yaml).getSpec();
        assertEquals(Sandbox.NetworkMode.Cni, s.network());
        assertEquals(SandboxSpec.Protocol.TCP, s.ports().get(0).protocol());
        assertEquals(2, s.publishedPorts().size(), "a port without hostPort is not published");
        assertTrue(s.shareProcessNamespace());
    }

    @Test
    void portProblemsNameTheirField() {
        assertEquals(List.of(
                "spec.ports[0].containerPort: required: the port inside the sandbox (1-65535)",
                "spec.ports[1].containerPort: 70000 is not a port number (1-65535)",
                "spec.ports[1].hostPort: -1 is not a port number (1-65535)",
                "spec.ports[2].hostIP: \"localhost\" is not an IP address (e.g. 127.0.0.1 or ::1)",
                "spec.ports[3].hostIP: \"localhost\" is not an IP address (e.g. 127.0.0.1 or ::1)",
                "spec.ports[3].hostPort: TCP 8080 is already published by spec.ports[2]",
                "spec.ports[4].hostIP: needs a hostPort: hostIP says where a published port listens"),
                errors("""
                  ports:
                    - {hostPort: 8080}
                    - {containerPort: 70000, hostPort: -1}
                    - {containerPort: 80, hostPort: 8080, hostIP: localhost}
                    - {containerPort: 81, hostPort: 8080, hostIP: localhost}
                    - {containerPort: 82, hostIP: "::1"}
                """));
    }

    @Test
    void sameHostPortOnOtherProtocolOrAddressIsFine() {
        assertEquals(List.of(), errors("""
                  ports:
                    - {containerPort: 53, hostPort: 53}
                    - {containerPort: 53, hostPort: 53, protocol: UDP}
                    - {containerPort: 54, hostPort: 53, hostIP: 127.0.0.2}
                """));
    }

    @Test
    void badProtocolIsAParseErrorListingTheAllowedValues() {
        SpecException e = org.junit.jupiter.api.Assertions.assertThrows(SpecException.class,
                () -> decode("  ports: [{containerPort: 80, hostPort: 80, protocol: SCTP}]\n"));
        assertTrue(e.getMessage().contains("spec.ports[0].protocol") && e.getMessage().contains("TCP")
                && e.getMessage().contains("UDP"), e.getMessage());
    }

    @Test
    void networkModesRestrictPortsAndHostname() {
        assertEquals(List.of("spec.ports[0].hostPort: cannot publish a port with network None (the sandbox has"
                + " loopback only); use network Cni or remove the hostPort"),
                errors("  network: None\n  ports: [{containerPort: 80, hostPort: 8080}]\n"));
        assertEquals(List.of(
                "spec.hostname: cannot be set with network Host (the sandbox uses the host's UTS namespace and so"
                        + " its hostname); remove spec.hostname or use network Cni",
                "spec.ports[0].hostPort: 8080 must equal containerPort 80 with network Host (the sandbox listens"
                        + " on the host's own ports)"),
                errors("  network: Host\n  hostname: x\n  ports: [{containerPort: 80, hostPort: 8080}]\n"));
        assertEquals(List.of(), errors("  network: Host\n  ports: [{containerPort: 80, hostPort: 80}]\n"));
    }

    @Test
    void dnsAndHostAliasProblems() {
        assertEquals(List.of(
                "spec.dns.nameservers: 4 nameservers given; the resolver reads at most 3",
                "spec.dns.nameservers[3]: \"dns.google\" is not an IP address (e.g. 127.0.0.1 or ::1)",
                "spec.dns.searches[0]: \"Bad_Domain\" is not a DNS-1123 subdomain: use lowercase letters, digits,"
                        + " '-' and '.', starting and ending with a letter or digit (e.g. my-name)",
                "spec.dns.options[0]: \"ndots 5\" is not a resolver option (name or name:number, e.g. ndots:5, edns0)",
                "spec.hostAliases[0].ip: \"300.1.1.1\" is not an IP address (e.g. 127.0.0.1 or ::1)",
                "spec.hostAliases[1].hostnames: required: at least one name for 10.0.0.1",
                "spec.hostAliases[2].hostnames[0]: \"UPPER\" is not a DNS-1123 subdomain: use lowercase letters,"
                        + " digits, '-' and '.', starting and ending with a letter or digit (e.g. my-name)"),
                errors("""
                  dns:
                    nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9, dns.google]
                    searches: [Bad_Domain]
                    options: ["ndots 5"]
                  hostAliases:
                    - {ip: 300.1.1.1, hostnames: [a]}
                    - {ip: 10.0.0.1, hostnames: []}
                    - {ip: 10.0.0.2, hostnames: [UPPER]}
                """));
    }

    @Test
    void ipLiterals() {
        for (String ok : List.of("0.0.0.0", "255.255.255.255", "::", "::1", "fe80::1%1".replace("%1", ""), "::ffff:1.2.3.4")) {
            assertEquals(java.util.Optional.empty(), SandboxChecks.ipLiteral(ok), ok);
        }
        for (String bad : List.of("1.2.3", "01.2.3.4", "1.2.3.4.5", ":::", "1::2::3", "host", "[::1]")) {
            assertTrue(SandboxChecks.ipLiteral(bad).isPresent(), bad);
        }
    }

    @Test
    void requestedAddressesAndBandwidthAreValidAndDecode() {
        String yaml = """
                  ips: [10.88.0.7/24, "fd00::7"]
                  bandwidth: {ingressRate: 10M, egressRate: 1500000, egressBurst: 512Ki}
                """;
        assertEquals(List.of(), errors(yaml));
        SandboxSpec s = decode(yaml).getSpec();
        assertEquals(List.of("10.88.0.7/24", "fd00::7"), s.ips());
        assertEquals("10M", s.bandwidth().ingressRate());
        assertEquals("512Ki", s.bandwidth().egressBurst());
        assertEquals("1500000", s.bandwidth().egressRate(), "a bare number is a quantity too");
    }

    @Test
    void addressAndBandwidthProblemsNameTheirField() {
        assertEquals(List.of(
                "spec.ips[1]: \"10.88.0.300\" is not an IP address with an optional prefix length (e.g. 10.88.0.7 or"
                        + " 10.88.0.7/24)",
                "spec.ips[2]: \"10.88.0.9/33\" has a bad prefix length (0-32)",
                "spec.ips[2]: a second IPv4 address (spec.ips[0] is one); the sandbox has one interface and IPAM"
                        + " gives it one address per family",
                "spec.bandwidth.ingressRate: \"100\" is out of range: between 1k and 1P bits per second",
                "spec.bandwidth.ingressBurst: \"64GiB\" is not a quantity (bits, e.g. 1M)",
                "spec.bandwidth.egressBurst: needs egressRate: a burst is the bucket of a rate limit"),
                errors("""
                  ips: [10.88.0.7, 10.88.0.300, 10.88.0.9/33]
                  bandwidth: {ingressRate: "100", ingressBurst: 64GiB, egressBurst: 1M}
                """));
        assertEquals(List.of(
                "spec.ips: needs network Cni (addresses are assigned by the CNI network's IPAM); remove spec.ips or use"
                        + " network Cni",
                "spec.bandwidth: needs network Cni (the bandwidth plugin shapes the sandbox's CNI interface); remove it"
                        + " or use network Cni",
                "spec.bandwidth: set ingressRate, egressRate or both (bits per second, e.g. 10M)"),
                errors("""
                  network: Host
                  ips: [10.88.0.7]
                  bandwidth: {}
                """));
    }

    @Test
    void kubeletsBandwidthAnnotationsAreCheckedWhereTheyAre() {
        Sandbox sb = (Sandbox) codec.decode("t", """
                apiVersion: berth.dev/v1alpha1
                kind: Sandbox
                metadata:
                  name: pod
                  annotations: {kubernetes.io/ingress-bandwidth: 10M, kubernetes.io/egress-bandwidth: lots}
                spec: {}
                """).get(0).object();
        assertEquals(List.of("metadata.annotations[kubernetes.io/egress-bandwidth]: \"lots\" is not a quantity (bits"
                + " per second, e.g. 10M)"), Validator.validate(sb).stream().map(FieldError::toString).toList());
        assertEquals(new SandboxSpec.Bandwidth("10M", null, "lots", null), dev.berth.crd.sandbox.Bandwidths.of(sb));
    }
}
