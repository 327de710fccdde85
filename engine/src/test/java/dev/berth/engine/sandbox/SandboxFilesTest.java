package dev.berth.engine.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxFilesTest {
    @Test
    void hostsHasLoopbackTheSandboxAddressAndAliases() {
        String h = SandboxFiles.hosts("web", List.of("10.88.0.5"),
                List.of(new SandboxFiles.HostEntry("10.1.2.3", List.of("db", "db.local"))));
        List<String> lines = h.lines().toList();
        assertTrue(lines.contains("127.0.0.1\tlocalhost"), h);
        assertTrue(lines.contains("10.88.0.5\tweb"), h);
        assertTrue(lines.contains("10.1.2.3\tdb\tdb.local"), h);
        assertTrue(lines.indexOf("10.88.0.5\tweb") < lines.indexOf("10.1.2.3\tdb\tdb.local"));
    }

    @Test
    void resolvConfDefaultsToTheHostsAndMergesTheSandboxs() {
        String host = "# comment\nnameserver 10.0.0.2\ndomain old.example\nsearch corp.example\noptions ndots:1 rotate\n";
        assertEquals("# Berth-managed resolv.conf: the host's, with the Sandbox's spec.dns merged in.\n"
                + "nameserver 10.0.0.2\nsearch corp.example\noptions ndots:1 rotate\n",
                SandboxFiles.resolvConf(host, null, SandboxFiles.Dns.NONE));
        String merged = SandboxFiles.resolvConf(host, null, new SandboxFiles.Dns(List.of("10.0.0.2", "10.0.0.10",
                "10.0.0.11", "10.0.0.12"), List.of("svc.local"), List.of("ndots:5", "edns0")));
        assertEquals(List.of("nameserver 10.0.0.2", "nameserver 10.0.0.10", "nameserver 10.0.0.11",
                "search corp.example svc.local", "options ndots:5 rotate edns0"),
                merged.lines().skip(1).toList(), "duplicates dropped, three nameservers, the sandbox's option value wins");
    }

    @Test
    void aLoopbackOnlyStubIsReplacedByTheUpstreamList() {
        String stub = "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n";
        String upstream = "nameserver 192.168.1.1\nsearch lan\n";
        assertEquals(List.of("nameserver 192.168.1.1", "search lan"),
                SandboxFiles.resolvConf(stub, upstream, SandboxFiles.Dns.NONE).lines().skip(1).toList());
        assertEquals(List.of("nameserver 127.0.0.53", "search lan", "options edns0 trust-ad"),
                SandboxFiles.resolvConf(stub, null, SandboxFiles.Dns.NONE).lines().skip(1).toList(),
                "without an upstream file the host's lines are kept as they are");
    }

    @Test
    void writeAndRemoveAreIdempotent(@TempDir Path state) throws Exception {
        SandboxFiles.Paths p = SandboxFiles.write(state, "default", "pod", "pod", List.of("10.88.0.9"), List.of(),
                SandboxFiles.Dns.NONE);
        assertEquals(state.resolve("sandboxes/default/pod"), p.dir());
        assertEquals("pod\n", Files.readString(p.hostname()));
        assertTrue(Files.readString(p.hosts()).contains("10.88.0.9\tpod"));
        assertTrue(Files.readString(p.resolvConf()).startsWith("# Berth-managed resolv.conf"));
        SandboxFiles.write(state, "default", "pod", "pod", List.of("10.88.0.10"), List.of(), SandboxFiles.Dns.NONE);
        assertTrue(Files.readString(p.hosts()).contains("10.88.0.10\tpod"));
        try (var s = Files.list(p.dir())) {
            assertEquals(3, s.count(), "no temporary file left behind");
        }
        assertEquals(List.of("/etc/hosts", "/etc/hostname", "/etc/resolv.conf"), List.copyOf(p.mounts().keySet()));
        SandboxFiles.remove(state, "default", "pod");
        SandboxFiles.remove(state, "default", "pod");
        assertFalse(Files.exists(p.dir()));
    }
}
