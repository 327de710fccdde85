package dev.berth.engine.runtime.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.runtime.BusyboxRootfs;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecGeneratorTest {
    @TempDir
    Path tmp;

    private static ImageConfig image(List<String> entrypoint, List<String> cmd, List<String> env, String user,
            String workdir, String stopSignal) {
        return new ImageConfig(null, null, "amd64", "linux", null,
                new ImageConfig.Container(user, null, env, entrypoint, cmd, null, workdir, null, stopSignal), null, null);
    }

    private Path rootfs() throws Exception {
        return BusyboxRootfs.create(tmp.resolve("rootfs"));
    }

    @Test
    void argsFollowDockerAndKubernetesRules() {
        var ic = image(List.of("/entry", "-x"), List.of("default", "cmd"), null, null, null, null).config();
        assertEquals(List.of("/entry", "-x", "default", "cmd"), SpecGenerator.args(ContainerSpec.builder().build(), ic));
        assertEquals(List.of("/entry", "-x", "mine"), SpecGenerator.args(ContainerSpec.builder().args("mine").build(), ic));
        // a command replaces the entrypoint and drops the image's cmd
        assertEquals(List.of("/bin/sh"), SpecGenerator.args(ContainerSpec.builder().command("/bin/sh").build(), ic));
        assertEquals(List.of("/bin/sh", "-c", "x"),
                SpecGenerator.args(ContainerSpec.builder().command("/bin/sh").args("-c", "x").build(), ic));
        var cmdOnly = image(null, List.of("sh"), null, null, null, null).config();
        assertEquals(List.of("sh"), SpecGenerator.args(ContainerSpec.builder().build(), cmdOnly));
        var none = image(null, null, null, null, null, null).config();
        BerthException e = assertThrows(BerthException.class, () -> SpecGenerator.args(ContainerSpec.builder().build(), none));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
    }

    @Test
    void envMergesByKeyAndAddsPath() {
        assertEquals(List.of("A=1", "B=override", "C=3", "PATH=" + SpecDefaults.DEFAULT_PATH),
                SpecGenerator.mergeEnv(List.of("A=1", "B=2"), List.of("B=override", "C=3")));
        assertEquals(List.of("PATH=/x", "A=1"), SpecGenerator.mergeEnv(List.of("PATH=/x"), List.of("A=1")));
        assertEquals(List.of("B=2", "A=new", "PATH=" + SpecDefaults.DEFAULT_PATH),
                SpecGenerator.mergeEnv(List.of("B=1", "A=1"), List.of("B=2", "A=new")), "replaced in place");
    }

    @Test
    void fullSpecCarriesContainerdDefaults() throws Exception {
        Path rootfs = rootfs();
        ContainerSpec spec = ContainerSpec.builder().args("sleep", "1").user("app").env("X", "y")
                .readOnlyRootfs(true)
                .mount(dev.berth.engine.runtime.spec.RuntimeSpec.Mount.bind("/srv/data", "/data", true))
                .mount(new RuntimeSpec.Mount("/run", "tmpfs", "tmpfs", List.of("size=1m")))
                .resources(new Resources(16L << 20, 8L << 20, 512L, 50000L, 100000L, "0", 32L))
                .joinNamespace("network", "/proc/123/ns/net")
                .build();
        RuntimeSpec s = SpecGenerator.generate("web-1", spec,
                image(null, List.of("ignored"), List.of("PATH=/bin"), "root", "/srv", "SIGQUIT"), rootfs, "/berth/default/web-1");
        assertEquals(rootfs.toString(), s.root().path());
        assertEquals(Boolean.TRUE, s.root().readonly());
        assertEquals("web-1", s.hostname());
        assertEquals(List.of("sleep", "1"), s.process().args());
        assertEquals("/srv", s.process().cwd());
        assertEquals(1000, s.process().user().uid());
        assertEquals(1000, s.process().user().gid());
        assertEquals(List.of(10, 29), s.process().user().additionalGids());
        assertTrue(s.process().env().containsAll(List.of("PATH=/bin", "X=y", "HOME=/home/app")), s.process().env().toString());
        assertEquals(SpecDefaults.CAPABILITIES, s.process().capabilities().bounding());
        assertEquals(14, s.process().capabilities().effective().size());
        assertEquals(Boolean.TRUE, s.process().noNewPrivileges());
        assertEquals(List.of(new RuntimeSpec.Rlimit("RLIMIT_NOFILE", 1024, 1024)), s.process().rlimits());
        Map<String, RuntimeSpec.Mount> mounts = s.mounts().stream()
                .collect(Collectors.toMap(RuntimeSpec.Mount::destination, m -> m));
        assertEquals("proc", mounts.get("/proc").type());
        assertTrue(mounts.get("/sys").options().contains("ro"));
        assertTrue(mounts.get("/sys/fs/cgroup").options().contains("ro"));
        assertEquals("mqueue", mounts.get("/dev/mqueue").type());
        assertEquals("devpts", mounts.get("/dev/pts").type());
        assertEquals("shm", mounts.get("/dev/shm").source());
        assertEquals(List.of("size=1m"), mounts.get("/run").options(), "a spec mount replaces the default at its destination");
        assertEquals(List.of("rbind", "rprivate", "ro"), mounts.get("/data").options());
        assertTrue(s.linux().maskedPaths().contains("/proc/kcore"));
        assertTrue(s.linux().readonlyPaths().contains("/proc/sys"));
        assertEquals("/berth/default/web-1", s.linux().cgroupsPath());
        var r = s.linux().resources();
        assertEquals(16L << 20, r.memory().limit());
        assertEquals(8L << 20, r.memory().reservation());
        assertEquals(16L << 20, r.memory().swap());
        assertEquals(512L, r.cpu().shares());
        assertEquals(50000L, r.cpu().quota());
        assertEquals("0", r.cpu().cpus());
        assertEquals(32L, r.pids().limit());
        assertEquals(List.of(new RuntimeSpec.DeviceRule(false, "rwm")), r.devices());
        var ns = s.linux().namespaces().stream().collect(Collectors.toMap(RuntimeSpec.Namespace::type,
                n -> n.path() == null ? "" : n.path()));
        assertEquals(Map.of("pid", "", "ipc", "", "uts", "", "mount", "", "network", "/proc/123/ns/net"), ns);
        assertEquals("SIGQUIT", s.annotations().get(SpecGenerator.STOP_SIGNAL_ANNOTATION));
        // config.json round trip
        RuntimeSpec back = RuntimeSpec.fromJson(s.toJson(), "test");
        assertEquals(s, back);
        String json = new String(s.toJson());
        assertTrue(json.contains("\"noNewPrivileges\" : true") && json.contains("\"additionalGids\""), json);
    }

    @Test
    void aJoinedUtsNamespaceKeepsItsOwnersHostname() throws Exception {
        ContainerSpec spec = ContainerSpec.builder().args("true").hostname("web")
                .joinNamespace("uts", "/proc/1/ns/uts").build();
        RuntimeSpec s = SpecGenerator.generate("h", spec, null, rootfs(), "/x/h");
        assertNull(s.hostname(), "setting it would rename the sandbox the container joined");
        assertEquals("/proc/1/ns/uts", s.linux().namespaces().stream().filter(n -> n.type().equals("uts")).findFirst()
                .orElseThrow().path());
    }

    @Test
    void hostNamespacesAreLeftOutAndUtsHostnameDropped() throws Exception {
        ContainerSpec spec = ContainerSpec.builder().args("true").hostNamespace("network").hostNamespace("uts").build();
        RuntimeSpec s = SpecGenerator.generate("h", spec, null, rootfs(), "/x/h");
        assertTrue(s.linux().namespaces().stream().noneMatch(n -> n.type().equals("network") || n.type().equals("uts")));
        assertNull(s.hostname());
        assertEquals("bind", s.mounts().stream().filter(m -> m.destination().equals("/sys")).findFirst().orElseThrow().type());
    }

    @Test
    void badInputIsRejectedWithTheField() {
        BerthException e = assertThrows(BerthException.class, () -> ContainerSpec.builder().workingDir("rel").build());
        assertTrue(e.getMessage().contains("workingDir"));
        e = assertThrows(BerthException.class, () -> ContainerSpec.builder().env(List.of("NOEQUALS")).build());
        assertTrue(e.getMessage().contains("KEY=value"));
        e = assertThrows(BerthException.class, () -> ContainerSpec.builder().joinNamespace("user", "/x").build());
        assertTrue(e.getMessage().contains("namespacePaths"));
        e = assertThrows(BerthException.class, () -> Resources.NONE.withCpuShares(1L));
        assertTrue(e.getMessage().contains("cpuShares"));
        e = assertThrows(BerthException.class, () -> Resources.NONE.withMemoryLimit(-5L));
        assertTrue(e.getMessage().contains("memoryLimit"));
    }

    @Test
    void defaultHostnameIsTheIdWhenValid() {
        assertEquals("web-1", SpecGenerator.defaultHostname("web-1"));
        assertNull(SpecGenerator.defaultHostname("under_score"));
        assertEquals("abcdefabcdef", SpecGenerator.defaultHostname("abcdefabcdef".repeat(6)));
    }
}
