package dev.berth.engine.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/** The text the probes read: fib_trie, if_inet6, iptables-save; and which plugins they cover. */
class PluginProbesTest {
    private static final String FIB_TRIE = """
            Main:
              +-- 0.0.0.0/0 3 0 5
                 |-- 0.0.0.0
                    /0 universe UNICAST
                 +-- 10.201.7.0/24 2 0 2
                    |-- 10.201.7.0
                       /24 link UNICAST
                    |-- 10.201.7.5
                       /32 host LOCAL
                    |-- 10.201.7.255
                       /32 link BROADCAST
                 +-- 127.0.0.0/8 2 0 2
                    |-- 127.0.0.1
                       /32 host LOCAL
            """;

    @Test
    void localAddressesAreTheHostLocalRoutesOfFibTrie() throws Exception {
        assertEquals(Set.of(InetAddress.getByName("10.201.7.5"), InetAddress.getByName("127.0.0.1")),
                PluginProbes.localIpv4(FIB_TRIE));
    }

    @Test
    void ipv6AddressesAreTakenPerInterface() throws Exception {
        String ifInet6 = "fd000000000000000000000000000005 02 40 00 80     eth0\n"
                + "00000000000000000000000000000001 01 80 10 80       lo\n";
        assertEquals(Set.of(InetAddress.getByName("fd00::5")), PluginProbes.ipv6On(ifInet6, "eth0"));
        assertEquals(Set.of(), PluginProbes.ipv6On(ifInet6, "eth1"));
    }

    @Test
    void portmapRulesNeedTheJumpAndTheDnatToTheAddress() {
        Attachment a = new Attachment("pod_pause", Path.of("/run/netns/x"), "eth0", Map.of(), Map.of());
        CniResult r = CniResult.of((ObjectNode) CniJson.MAPPER.readTree(
                "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.201.7.5/24\"}]}"));
        String jump = "-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment \"dnat name: \\\"n\\\" id: \\\"pod_pause\\\"\""
                + " -m multiport --dports 18080 -j CNI-DN-abc\n";
        String dnat = "-A CNI-DN-abc -p tcp -m tcp --dport 18080 -j DNAT --to-destination 10.201.7.5:8080\n";
        assertTrue(PluginProbes.portmapRulesIn(jump + dnat, a, r));
        assertFalse(PluginProbes.portmapRulesIn(jump, a, r), "the chain was flushed");
        assertFalse(PluginProbes.portmapRulesIn(dnat, a, r), "the jump is gone");
    }

    @Test
    void portsOnLoopbackAreThoseWithoutAHostIpOrOn127() {
        assertTrue(PluginProbes.answersOnLoopback(List.of(Map.of("hostPort", 1))));
        assertTrue(PluginProbes.answersOnLoopback(List.of(Map.of("hostIP", "127.0.0.1"))));
        assertFalse(PluginProbes.answersOnLoopback(List.of(Map.of("hostIP", "192.0.2.1"))));
        assertFalse(PluginProbes.answersOnLoopback(null));
    }

    @Test
    void unknownPluginsIpv6AndOtherFirewallBackendsAreLeftToCheck() {
        CniResult v4 = CniResult.of((ObjectNode) CniJson.MAPPER.readTree("{\"ips\":[{\"address\":\"10.0.0.2/24\"}]}"));
        CniResult v6 = CniResult.of((ObjectNode) CniJson.MAPPER.readTree("{\"ips\":[{\"address\":\"fd00::2/64\"}]}"));
        assertTrue(PluginProbes.covers(plugin("{\"type\":\"bridge\"}"), v6));
        assertTrue(PluginProbes.covers(plugin("{\"type\":\"portmap\"}"), v4));
        assertFalse(PluginProbes.covers(plugin("{\"type\":\"portmap\"}"), v6));
        assertTrue(PluginProbes.covers(plugin("{\"type\":\"firewall\"}"), v4));
        assertFalse(PluginProbes.covers(plugin("{\"type\":\"firewall\",\"backend\":\"firewalld\"}"), v4));
        assertFalse(PluginProbes.covers(plugin("{\"type\":\"bandwidth\"}"), v4));
    }

    private static ObjectNode plugin(String json) {
        return (ObjectNode) CniJson.MAPPER.readTree(json);
    }
}
