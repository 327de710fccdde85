package dev.berth.engine.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.netns.NetNamespaces;
import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.RootOnly;
import dev.berth.engine.testing.TestNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CNI runtime against Debian's real plugins (bridge, host-local, portmap, firewall, loopback)
 * in network namespaces the test pins: ADD gives an address and a reachable host port, CHECK
 * notices a deleted veth, DEL (also from the on-disk cache by a fresh instance, and after an ADD
 * whose result was never written) leaves no veth, reservation or iptables rule behind.
 */
@RootOnly("creates network namespaces, bridges and iptables rules")
class CniIT {
    @TempDir
    Path dir;
    HostCleanup cleanup;
    TestNetwork net;
    NetNamespaces namespaces;
    Cni cni;

    @BeforeEach
    void setUp() throws IOException {
        cleanup = HostCleanup.under(dir);
        net = TestNetwork.create(dir, cleanup);
        namespaces = new NetNamespaces(dir.resolve("netns"));
        cni = new Cni(List.of(Path.of("/opt/cni/bin"), Path.of("/usr/lib/cni")), new ResultCache(dir.resolve("cache")));
    }

    @AfterEach
    void tearDown() {
        cleanup.close();
    }

    private Attachment attach(String id, Map<String, Object> caps) {
        Path ns = namespaces.create(id);
        cleanup.then(() -> namespaces.remove(id));
        Map<String, String> args = new LinkedHashMap<>();
        args.put("IgnoreUnknown", "1");
        args.put("K8S_POD_NAMESPACE", "default");
        args.put("K8S_POD_NAME", id);
        args.put("K8S_POD_INFRA_CONTAINER_ID", id);
        return new Attachment(id, ns, "eth0", args, caps);
    }

    private static String id() {
        return "cniit-" + UUID.randomUUID().toString().substring(0, 8);
    }


    @Test
    void addGivesAnAddressAndAHostPortThatAnswersDelRemovesEverything() throws Exception {
        String id = id();
        int hostPort = TestNetwork.freeTcpPort();
        Attachment a = attach(id, Map.of("portMappings",
                List.of(Map.of("hostPort", hostPort, "containerPort", 8080, "protocol", "tcp"))));
        NetworkConfigList list = NetworkConfigList.load(net.confDir());
        cleanup.then(() -> cni.del(list, a));
        CniResult r = cni.add(list, a);

        assertTrue(r.primaryIp().startsWith(net.prefix() + "."), r.toString());
        assertEquals(List.of(r.primaryIp()), net.reservations());
        assertEquals("eth0", r.containerInterfaces().get(0).name());
        assertTrue(NetNamespaces.isPinned(a.netns()));
        String hostVeth = r.interfaces().stream().filter(i -> i.sandbox().isEmpty() && !i.name().equals(net.bridge()))
                .findFirst().orElseThrow().name();
        assertTrue(TestNetwork.linkExists(hostVeth));
        assertFalse(TestNetwork.iptablesLinesWith(id).isEmpty(), "portmap's rules name the container id");

        // a real server inside the namespace, reached through portmap's DNAT from 127.0.0.1
        Path www = Files.createDirectories(dir.resolve("www"));
        Files.writeString(www.resolve("index.html"), "hello from " + id + "\n");
        Process httpd = new ProcessBuilder("nsenter", "--net=" + a.netns(), "/bin/busybox", "httpd", "-f", "-p", "8080",
                "-h", www.toString()).redirectErrorStream(true).start();
        cleanup.then(() -> {
            httpd.destroyForcibly();
            httpd.waitFor();
        });
        assertEquals("hello from " + id + "\n", TestNetwork.httpGet("http://127.0.0.1:" + hostPort + "/"));
        assertEquals("hello from " + id + "\n", TestNetwork.httpGet("http://" + r.primaryIp() + ":8080/"));

        cni.check(list, a, r);

        cni.del(list, a);
        assertEquals(List.of(), net.reservations());
        assertFalse(TestNetwork.linkExists(hostVeth));
        assertEquals(List.of(), TestNetwork.iptablesLinesWith(id));
        assertEquals(List.of(), cni.cache().of(id));
        cni.del(list, a); // idempotent
    }


    @Test
    void checkNoticesADeletedVeth() throws Exception {
        String id = id();
        Attachment a = attach(id, Map.of());
        NetworkConfigList list = NetworkConfigList.load(net.confDir());
        cleanup.then(() -> cni.del(list, a));
        CniResult r = cni.add(list, a);
        String hostVeth = r.interfaces().stream().filter(i -> i.sandbox().isEmpty() && !i.name().equals(net.bridge()))
                .findFirst().orElseThrow().name();
        assertEquals(0, TestNetwork.run("ip", "link", "del", "dev", hostVeth));
        BerthException e = assertThrows(BerthException.class, () -> cni.check(list, a, r));
        assertTrue(e.getMessage().contains("failed CHECK"), e.getMessage());
        cni.del(list, a);
        assertEquals(List.of(), net.reservations());
    }

    @Test
    void checkNoticesFlushedPortmapRules() throws Exception {
        String id = id();
        Attachment a = attach(id, Map.of("portMappings",
                List.of(Map.of("hostPort", TestNetwork.freeTcpPort(), "containerPort", 80, "protocol", "tcp"))));
        NetworkConfigList list = NetworkConfigList.load(net.confDir());
        cleanup.then(() -> cni.del(list, a));
        CniResult r = cni.add(list, a);
        cni.check(list, a, r);
        // CNI-HOSTPORT-DNAT jumps to the container's own chain with a comment naming it
        List<String> lines = TestNetwork.iptablesLinesWith(id);
        String chain = lines.stream().filter(l -> l.contains("-j CNI-DN-")).map(l -> l.substring(l.indexOf("-j CNI-DN-") + 3))
                .map(c -> c.split(" ")[0]).findFirst().orElseThrow(() -> new AssertionError(lines));
        assertEquals(0, TestNetwork.run("iptables", "-t", "nat", "-F", chain));
        BerthException e = assertThrows(BerthException.class, () -> cni.check(list, a, r));
        assertTrue(e.getMessage().contains("portmap"), e.getMessage());
        cni.del(list, a);
        assertEquals(List.of(), TestNetwork.iptablesLinesWith(id));
    }

    @Test
    void delAfterARestartUsesTheCachedConfigEvenWhenTheConfDirChanged() throws Exception {
        String id = id();
        int hostPort = TestNetwork.freeTcpPort();
        Attachment a = attach(id, Map.of("portMappings",
                List.of(Map.of("hostPort", hostPort, "containerPort", 80, "protocol", "tcp"))));
        NetworkConfigList list = NetworkConfigList.load(net.confDir());
        cleanup.then(() -> cni.del(list, a));
        cni.add(list, a);
        try (var s = Files.list(net.confDir())) {
            for (Path f : s.toList()) {
                Files.delete(f);
            }
        }
        Cni restarted = new Cni(List.of(Path.of("/usr/lib/cni")), new ResultCache(dir.resolve("cache")));
        List<ResultCache.Entry> cached = restarted.cache().of(id);
        assertEquals(1, cached.size());
        assertEquals(hostPort, ((Map<?, ?>) ((List<?>) cached.get(0).attachment().capabilityArgs().get("portMappings"))
                .get(0)).get("hostPort"));
        restarted.del(cached.get(0));
        assertEquals(List.of(), net.reservations());
        assertEquals(List.of(), TestNetwork.iptablesLinesWith(id));
        assertEquals(List.of(), restarted.cache().of(id));
    }

    @Test
    void delOfAnAddThatNeverRecordedItsResultReleasesWhatThePluginsMade() throws Exception {
        String id = id();
        Attachment a = attach(id, Map.of());
        NetworkConfigList list = NetworkConfigList.load(net.confDir());
        cleanup.then(() -> cni.del(list, a));
        cni.add(list, a);
        // as after a SIGKILL between the plugins' work and the final cache write
        cni.cache().put(list, a, null);
        assertEquals(1, net.reservations().size());
        ResultCache.Entry pending = cni.cache().of(id).get(0);
        assertTrue(pending.result().isEmpty());
        cni.del(pending);
        assertEquals(List.of(), net.reservations());
    }

    @Test
    void aFailingPluginUndoesTheChainAndNamesPluginAndFile() throws Exception {
        String id = id();
        Attachment a = attach(id, Map.of());
        Path conf = net.confDir().resolve("10-" + net.network() + ".conflist");
        // the tuning plugin refuses a sysctl outside net.*, after bridge and host-local did their part
        Files.writeString(conf, net.conflist(false).replace("{\"type\":\"loopback\"}",
                "{\"type\":\"tuning\",\"sysctl\":{\"kernel.hostname\":\"x\"}}"));
        NetworkConfigList list = NetworkConfigList.load(net.confDir());
        cleanup.then(() -> cni.del(list, a));
        BerthException e = assertThrows(BerthException.class, () -> cni.add(list, a));
        assertTrue(e.getMessage().contains("CNI plugin tuning of network " + net.network()), e.getMessage());
        assertTrue(e.getMessage().contains(conf.toString()), e.getMessage());
        assertEquals(List.of(), net.reservations());
        assertEquals(List.of(), cni.cache().of(id));
    }

    @Test
    void anAbsentPluginIsNamedWithTheDirectoriesSearched() throws Exception {
        Files.writeString(net.confDir().resolve("10-" + net.network() + ".conflist"),
                "{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"no-such-plugin\"}]}");
        NetworkConfigList list = NetworkConfigList.load(net.confDir());
        BerthException e = assertThrows(BerthException.class, () -> cni.add(list, attach(id(), Map.of())));
        assertTrue(e.getMessage().contains("\"no-such-plugin\"") && e.getMessage().contains("/usr/lib/cni"),
                e.getMessage());
    }
}
