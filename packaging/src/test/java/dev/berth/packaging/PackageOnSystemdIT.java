package dev.berth.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.RootOnly;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The seed's install of containerd, done with Berth's artifacts on a real systemd: boots Debian 12
 * under systemd-nspawn (rootfs built once by {@code src/test/nspawn/build-rootfs} and cached),
 * installs the freshly built .deb with {@code apt install ./berth_*.deb}, which pulls in its
 * dependencies (offline: from a local repository of Debian's packages in the cached rootfs), checks the seed's verification steps, switches config.toml to
 * {@code SystemdCgroup = true}, runs the resource-limited example and checks its systemd scope and
 * limits in systemd and in the kernel, reloads (nothing running is touched), repairs a drifted limit,
 * restarts the service (the container survives and is re-adopted), deletes the container (its scope
 * goes), then purges the package and installs the release tarball the same way, whose default
 * {@code SystemdCgroup = false} keeps the cgroupfs driver on the same node. Leaves no process,
 * mount or cgroup behind (NspawnMachine, HostCleanup).
 */
@RootOnly("boots a machine with systemd-nspawn")
class PackageOnSystemdIT {
    private static final String SCOPE = "berth-default-limited.scope";
    private static final String MEMORY = "/sys/fs/cgroup/memory/system.slice/" + SCOPE;
    private static final String LIMIT = "16777216"; // examples/local/resource-limited.yaml: 16Mi
    private static final String PAUSE = "localhost/berth/pause:it"; // the seed's sandbox_image edit
    /** A sandbox on the default CNI network the package installs (/etc/cni/net.d/10-berth.conflist). */
    private static final String SANDBOX = """
            apiVersion: berth.dev/v1alpha1
            kind: Sandbox
            metadata: {name: pod}
            spec: {hostname: pod}
            """;
    private static final List<String> DEPENDENCIES = List.of("openjdk-17-jre-headless", "runc", "conmon",
            "containernetworking-plugins", "crun");

    @Test
    void debAndTarballOnSystemd() throws Exception {
        assertTrue(NspawnMachine.available(), "needs systemd-nspawn and debootstrap: bin/install-deps --test installs them");
        Path target = Path.of("target");
        Path deb = only(target, "berth_", ".deb");
        Path tarball = only(target, "berth-", "-linux-" + debArch() + ".tar.gz");
        Path rootfsTar = Path.of(new String(run("src/test/nspawn/build-rootfs"), StandardCharsets.UTF_8).trim());
        String name = "berth-it-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        Path work = Files.createTempDirectory(Path.of("/var/tmp"), name + "-");
        try (HostCleanup cleanup = HostCleanup.under(work)) {
            Path root = Files.createDirectory(work.resolve("root"));
            Path share = Files.createDirectory(work.resolve("pkg"));
            run("tar", "-xf", rootfsTar.toString(), "-C", root.toString());
            Files.copy(deb, share.resolve(deb.getFileName()));
            Files.copy(tarball, share.resolve("berth.tar.gz"));
            Files.copy(Path.of("../bin/build-example-image"), share.resolve("build-example-image"));
            for (String f : List.of("busybox-image.yaml", "resource-limited.yaml")) {
                Files.copy(Path.of("../examples/local", f), share.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
            stagePause(share.resolve("pause-rootfs"));
            Files.writeString(share.resolve("sandbox.yaml"), SANDBOX);
            String contractClassPath = stageContract(share.resolve("contract"));
            NspawnMachine m = NspawnMachine.boot(name, root, share, work.resolve("nspawn.log"));
            try (m) {
                installDeb(m, deb.getFileName().toString());
                seedChecks(m, "/usr/bin/berth", "/lib/systemd/system/berth.service");
                runtimeContract(m, contractClassPath);
                systemdCgroups(m);
                tarball(m);
            }
            // the machine is off, by its own poweroff: nothing of it may remain on the host
            assertTrue(m.poweredOffCleanly(), "the machine powered off on SIGTERM (no process had to be killed)");
            for (Path c : m.cgroups()) {
                assertTrue(Files.notExists(c), "cgroup " + c + " is removed");
            }
            assertTrue(Files.notExists(Path.of("/run/systemd/nspawn/propagate", name)), "nspawn's propagate directory is removed");
            assertEquals(List.of(), processesIn(name), "no process is left in the machine's cgroups");
            try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
                assertTrue(lines.noneMatch(l -> l.contains(work.toString())), "a mount of the machine is left");
            }
        }
    }

    private static void installDeb(NspawnMachine m, String debName) {
        // apt pulls in what the daemon needs (Depends) and crun (Recommends), from the machine's
        // local copy of Debian's packages (build-rootfs): none of them is installed before
        String installed = "for p in " + String.join(" ", DEPENDENCIES)
                + "; do dpkg-query -W -f='${Status}\\n' $p 2>/dev/null | grep -c 'install ok installed'; done | sort -u";
        assertEquals("0", m.output(installed), "the dependencies are not installed before the .deb");
        m.check("apt-get install -y -q /mnt/pkg/" + debName);
        assertEquals("1", m.output(installed), "apt installed every dependency of the .deb");
        // the package's files, as the issue lists them
        m.check("test -x /usr/bin/berth && test -f /usr/share/berth/berth.jar && test -d /usr/share/berth/lib"
                + " && test -f /usr/share/berth/berth.jsa && test -d /etc/berth/manifests"
                + " && test -f /lib/systemd/system/berth.service && test -f /usr/share/man/man8/berth.8.gz");
        classDataArchiveIsUsed(m, "berth");
        // a JDK installed or upgraded (here: the trigger dpkg would pull) makes the archive again for it
        String before = m.check("stat -c %Y.%i /usr/share/berth/berth.jsa");
        m.check("dpkg-trigger --no-await /usr/lib/jvm && dpkg --triggers-only --pending");
        assertNotEquals(before, m.check("stat -c %Y.%i /usr/share/berth/berth.jsa"), "postinst triggered made it again");
        classDataArchiveIsUsed(m, "berth");
        assertTrue(m.check("dpkg-query -W -f='${Conffiles}' berth").contains("/etc/berth/config.toml"));
        assertTrue(m.check("dpkg-query -W -f='${Conffiles}' berth").contains("/etc/cni/net.d/10-berth.conflist"),
                "the default CNI network list is a conffile");
        assertEquals(m.check("berth config default"), m.check("cat /etc/berth/config.toml"),
                "/etc/berth/config.toml is `berth config default`");
        assertEquals("enabled", m.check("systemctl is-enabled berth"));
    }

    /**
     * The CLI maps the class-data archive: with -Xshare:on the JVM refuses to start when it cannot, and
     * Berth's own classes are loaded from the archive's top (dynamic) layer.
     */
    private static void classDataArchiveIsUsed(NspawnMachine m, String bin) {
        String log = m.check("BERTH_JAVA_OPTS='-Xshare:on -Xlog:class+load=info' " + bin + " --version");
        assertTrue(log.lines().anyMatch(l -> l.contains("dev.berth.controller.cli.") && l.contains("source: shared objects file (top)")),
                "berth's classes come from the archive: " + log.lines().filter(l -> l.contains("dev.berth")).limit(5).toList());
    }

    /** The seed's verification steps for containerd, for Berth. */
    private static void seedChecks(NspawnMachine m, String bin, String unitFile) throws InterruptedException {
        m.check("systemctl enable --now berth");
        m.await("systemctl is-active berth", "active", 120, "journalctl -u berth --no-pager -n 30");
        assertEquals(unitFile, m.check("systemctl show -p FragmentPath --value berth"));
        String mainPid = m.check("systemctl show -p MainPID --value berth");
        assertNotEquals("0", mainPid);
        unitSemantics(m, mainPid);
        String status = m.output("systemctl status berth --no-pager");
        assertTrue(status.contains("active (running)") && status.contains("Main PID: " + mainPid), status);
        // Type=notify: systemd got READY=1 and the daemon's status line
        assertTrue(m.check("systemctl show -p StatusText --value berth").startsWith("serving on /run/berth/berth.sock"));
        String version = m.check(bin + " version");
        assertTrue(version.contains("Client:") && version.contains("Server:") && version.contains("pid " + mainPid),
                version);
        String line = m.check(bin + " --version");
        assertTrue(line.matches("berth berth\\.dev \\S+ [0-9a-f]{7}"), line);
        assertEquals("srw-rw---- root root", m.check("stat -c '%A %U %G' /run/berth/berth.sock"));
        m.check("test -S /run/berth/containerd.sock");
    }

    /** containerd.service's lines, as the installed systemd reads them, and in force on the daemon. */
    private static void unitSemantics(NspawnMachine m, String mainPid) {
        java.util.Map<String, String> want = new java.util.TreeMap<>(java.util.Map.of("Type", "notify", "Delegate", "yes",
                "KillMode", "process", "Restart", "always", "RestartUSec", "5s", "LimitNOFILE", "infinity",
                "LimitNPROC", "infinity", "LimitCORE", "infinity", "TasksMax", "infinity", "OOMScoreAdjust", "-999"));
        java.util.Map<String, String> got = new java.util.TreeMap<>();
        for (String l : m.check("systemctl show berth -p " + String.join(" -p ", want.keySet())).lines().toList()) {
            got.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1));
        }
        assertEquals(want, got, "berth.service as systemd loaded it");
        String pre = m.check("systemctl show -p ExecStartPre --value berth");
        assertTrue(pre.contains("argv[]=/sbin/modprobe overlay ;") && pre.contains("ignore_errors=yes"), pre);
        if (hostMayLowerOomScores()) {
            assertEquals("-999", m.check("cat /proc/" + mainPid + "/oom_score_adj"), "the daemon's OOM score");
        }
    }

    /**
     * Whether this host lets anyone lower an OOM score: CAP_SYS_RESOURCE (bit 24) in its bounding set.
     * The build machines run without it (writing -999 to oom_score_adj fails even for root on the
     * host), so there only systemd's view of {@code OOMScoreAdjust=} can be checked.
     */
    private static boolean hostMayLowerOomScores() {
        try {
            String bnd = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapBnd:"))
                    .findFirst().orElseThrow().substring("CapBnd:".length()).trim();
            return (Long.parseUnsignedLong(bnd, 16) & (1L << 24)) != 0;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The TaskRuntime contract with {@code SystemdCgroup = true} ({@code RuncSystemdRuntimeIT}) under the
     * machine's systemd, run by the machine's Java against the installed package's jars: the same
     * checks the host runs with the cgroupfs driver (RuncCgroupfsRuntimeIT).
     */
    private static void runtimeContract(NspawnMachine m, String classPath) {
        String out = m.check("java -Dberth.test.busybox=/mnt/pkg/contract/busybox -cp '/usr/share/berth/lib/*:" + classPath
                + "' dev.berth.packaging.ContractLauncher dev.berth.engine.runtime.conmon.RuncSystemdRuntimeIT 2>&1");
        assertTrue(out.contains("CONTRACT PASSED"), out);
        assertEquals("", m.check("systemctl list-units --all --plain --no-legend 'berth-contract-*'"),
                "the contract's scopes are gone");
    }

    /**
     * Copies what the contract needs beside the installed jars into {@code dir} (which the machine
     * sees under /mnt/pkg/contract): busybox for the rootfs, the engine's test classes, this module's
     * launcher and JUnit, each from where this JVM loaded it. Returns the class path inside the machine.
     */
    private static String stageContract(Path dir) throws Exception {
        Files.createDirectories(dir);
        Files.copy(dev.berth.engine.runtime.BusyboxRootfs.BUSYBOX, dir.resolve("busybox"));
        List<String> entries = new java.util.ArrayList<>();
        java.util.Set<Path> seen = new java.util.HashSet<>();
        for (String c : List.of("dev.berth.engine.runtime.TaskRuntimeContract", ContractLauncher.class.getName(),
                "org.junit.jupiter.api.Test", "org.junit.jupiter.engine.JupiterTestEngine",
                "org.junit.platform.engine.TestEngine", "org.junit.platform.commons.util.ReflectionUtils",
                "org.junit.platform.launcher.core.LauncherFactory", "org.opentest4j.AssertionFailedError",
                "org.apiguardian.api.API")) {
            Path from = Path.of(Class.forName(c).getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!seen.add(from)) {
                continue;
            }
            String entry = "cp" + entries.size() + (Files.isDirectory(from) ? "" : ".jar");
            run("cp", "-r", from.toString(), dir.resolve(entry).toString());
            entries.add("/mnt/pkg/contract/" + entry);
        }
        return String.join(":", entries);
    }

    /** Berth's pause (bin/pause/pause.c), compiled static here as bin/build-pause-image does, as a rootfs. */
    private static void stagePause(Path rootfs) throws Exception {
        Files.createDirectories(rootfs);
        run("gcc", "-static", "-Os", "-o", rootfs.resolve("pause").toString(), "../bin/pause/pause.c");
    }

    private static void systemdCgroups(NspawnMachine m) throws InterruptedException {
        // the example image, imported while no daemon owns the store (import is in-process only)
        m.check("systemctl stop berth && BERTH=berth sh /mnt/pkg/build-example-image"
                + " && berth images import --rootfs /mnt/pkg/pause-rootfs --name " + PAUSE + " --entrypoint /pause");
        // the seed's two edits, on `berth config default`, then a restart applies both
        m.check("berth config default > /etc/berth/config.toml"
                + " && sed -i 's/SystemdCgroup = false/SystemdCgroup = true/;"
                + " s|sandbox = \"registry.k8s.io/pause:3.10\"|sandbox = \"" + PAUSE + "\"|;"
                + " s/resync_interval = \"30s\"/resync_interval = \"2s\"/' /etc/berth/config.toml");
        m.check("systemctl restart berth");
        String dump = m.check("berth config dump");
        assertTrue(dump.contains("SystemdCgroup = true") && dump.contains("sandbox = \"" + PAUSE + "\""), dump);

        m.check("cp /mnt/pkg/busybox-image.yaml /mnt/pkg/resource-limited.yaml /etc/berth/manifests/");
        m.await("berth get container limited -o jsonpath='{.status.phase}'", "Running", 180,
                "berth describe container limited; journalctl -u berth --no-pager -n 20");
        // a scope systemd knows, in system.slice, with the limit set through systemd and in force
        assertEquals("active", m.check("systemctl show -p ActiveState --value " + SCOPE));
        assertEquals("system.slice", m.check("systemctl show -p Slice --value " + SCOPE));
        assertEquals(LIMIT, m.check("systemctl show -p MemoryLimit --value " + SCOPE));
        assertEquals("32", m.check("systemctl show -p TasksMax --value " + SCOPE));
        assertEquals("250ms", m.check("systemctl show -p CPUQuotaPerSecUSec --value " + SCOPE), "cpu: 250m");
        assertEquals("25000", m.check("cat /sys/fs/cgroup/cpu/system.slice/" + SCOPE + "/cpu.cfs_quota_us"));
        assertEquals(LIMIT, m.check("cat " + MEMORY + "/memory.limit_in_bytes"));
        String pids = m.check("cat " + MEMORY + "/cgroup.procs");
        assertTrue(!pids.isEmpty(), "the container's processes are in the scope");
        String mainPid = m.check("systemctl show -p MainPID --value berth");

        // the restarted daemon uses the edited sandbox image (config dump only reads the file), and the
        // package's default CNI network list gives the sandbox its address (bridge, portmap, firewall)
        m.check("cp /mnt/pkg/sandbox.yaml /etc/berth/manifests/");
        m.await("berth get sandbox pod -o jsonpath='{.status.phase}'", "Ready", 180,
                "berth describe sandbox pod; journalctl -u berth --no-pager -n 20");
        assertEquals(PAUSE, m.check("berth get sandbox pod -o jsonpath='{.status.pauseImage}'"));
        String ip = m.check("berth get sandbox pod -o jsonpath='{.status.ip}'");
        assertTrue(ip.startsWith("10.99."), "an address of 10-berth.conflist's 10.99.0.0/16: " + ip);
        m.check("busybox ping -c 1 -W 10 " + ip);

        // systemctl reload: config and manifests read again, the daemon and the container untouched; the
        // registry directories and the resync period are applied at once, the log size at the next restart
        m.check("sed -i 's/resync_interval = \"2s\"/resync_interval = \"3s\"/;"
                + " s|config_path = \"/etc/berth/certs.d:|config_path = \"/etc/berth/registries.d:/etc/berth/certs.d:|;"
                + " s/log_max_size = 10485760/log_max_size = 20971520/' /etc/berth/config.toml");
        m.check("systemctl reload berth");
        m.await("journalctl -u berth --no-pager | grep -c 'reloaded /etc/berth/config.toml'", "1", 60,
                "journalctl -u berth --no-pager -n 20");
        String reloaded = m.check("journalctl -u berth --no-pager | grep 'reloaded /etc/berth/config.toml'");
        String applied = reloaded.substring(reloaded.indexOf("applied now: "), reloaded.indexOf("; these take effect at restart: "));
        String pending = reloaded.substring(reloaded.indexOf("these take effect at restart: "));
        assertTrue(applied.contains("resync_interval (PT2S -> PT3S)") && applied.contains("config_path ("), reloaded);
        assertTrue(pending.contains("log_max_size (10485760 -> 20971520)") && !pending.contains("resync_interval"), reloaded);
        assertEquals("config reloaded; applied 2 changed setting(s); restart to apply 1 changed setting(s)",
                m.check("systemctl show -p StatusText --value berth"));
        assertEquals("active", m.check("systemctl is-active berth"));
        assertEquals(mainPid, m.check("systemctl show -p MainPID --value berth"));
        assertEquals(pids, m.check("cat " + MEMORY + "/cgroup.procs"));

        // drift: a limit changed in the kernel behind Berth's back is put back, with runc update, which
        // sets the unit's properties again (lowered: v1 refuses to raise it past the swap limit)
        m.check("echo 8388608 > " + MEMORY + "/memory.limit_in_bytes");
        m.await("cat " + MEMORY + "/memory.limit_in_bytes", LIMIT, 120, "berth describe container limited");
        assertEquals(LIMIT, m.check("systemctl show -p MemoryLimit --value " + SCOPE));

        // KillMode=process: a restart keeps the container; the new daemon adopts it
        m.check("systemctl restart berth");
        m.await("systemctl is-active berth", "active", 120, "journalctl -u berth --no-pager -n 30");
        assertNotEquals(mainPid, m.check("systemctl show -p MainPID --value berth"));
        assertEquals(pids, m.check("cat " + MEMORY + "/cgroup.procs"), "the container survived the restart");
        m.await("berth get container limited -o jsonpath='{.status.phase}'", "Running", 120,
                "berth describe container limited");
        assertEquals(pids, m.check("cat " + MEMORY + "/cgroup.procs"), "adopted, not recreated");

        // Restart=always (RestartSec=5): a daemon killed outright comes back by itself, containers untouched
        String restarted = m.check("systemctl show -p MainPID --value berth");
        int restarts = Integer.parseInt(m.check("systemctl show -p NRestarts --value berth"));
        m.check("kill -KILL " + restarted);
        m.await("systemctl show -p NRestarts --value berth", Integer.toString(restarts + 1), 120,
                "journalctl -u berth --no-pager -n 20");
        m.await("systemctl is-active berth", "active", 120, "journalctl -u berth --no-pager -n 30");
        assertNotEquals(restarted, m.check("systemctl show -p MainPID --value berth"));
        assertEquals(pids, m.check("cat " + MEMORY + "/cgroup.procs"), "the container survived the daemon's death");
        m.await("berth get container limited -o jsonpath='{.status.phase}'", "Running", 120,
                "berth describe container limited");

        // deleting the container removes its scope; the sandbox goes too
        m.check("rm /etc/berth/manifests/resource-limited.yaml /etc/berth/manifests/sandbox.yaml");
        m.await("berth get sandbox pod >/dev/null 2>&1 && echo present || echo gone", "gone", 120,
                "berth describe sandbox pod");
        m.await("systemctl show -p ActiveState --value " + SCOPE, "inactive", 120, "berth get containers");
        m.await("test -d " + MEMORY + " && echo present || echo gone", "gone", 60, "ls /sys/fs/cgroup/memory/system.slice");
    }

    private static void tarball(NspawnMachine m) throws InterruptedException {
        m.check("apt-get purge -y -q berth");
        m.check("test ! -e /usr/bin/berth && test ! -e /lib/systemd/system/berth.service");
        // the seed's steps for cri-containerd's tarball, literally: unpack at /, then enable --now (which
        // reloads systemd's units itself)
        m.check("tar -xf /mnt/pkg/berth.tar.gz -C /");
        m.check("test -x /usr/local/bin/berth && test -f /opt/berth/berth.jar && test -x /opt/berth/make-cds-archive"
                + " && test -f /etc/systemd/system/berth.service && test -f /etc/berth/config.toml"
                + " && test -d /etc/berth/manifests && test -f /etc/cni/net.d/10-berth.conflist");
        seedChecks(m, "/usr/local/bin/berth", "/etc/systemd/system/berth.service");
        // the optional class-data archive, made where the jars are
        m.check("/opt/berth/make-cds-archive && test -f /opt/berth/berth.jsa");
        classDataArchiveIsUsed(m, "/usr/local/bin/berth");
        // the tarball's config.toml says SystemdCgroup = false: the cgroupfs driver, no scope, on the
        // same systemd node (the image and the Image manifest stayed from the .deb's run)
        m.check("cp /mnt/pkg/resource-limited.yaml /etc/berth/manifests/");
        m.await("/usr/local/bin/berth get container limited -o jsonpath='{.status.phase}'", "Running", 180,
                "/usr/local/bin/berth describe container limited");
        assertEquals(LIMIT, m.check("cat /sys/fs/cgroup/memory/default/limited/memory.limit_in_bytes"));
        assertEquals("inactive", m.check("systemctl show -p ActiveState --value " + SCOPE));
        m.check("rm /etc/berth/manifests/resource-limited.yaml");
        m.await("test -d /sys/fs/cgroup/memory/default/limited && echo present || echo gone", "gone", 120,
                "/usr/local/bin/berth get containers");
        m.check("systemctl disable --now berth");
    }

    /** Host processes whose cgroup path names {@code name} (the machine's cgroups). */
    private static List<Long> processesIn(String name) {
        return ProcessHandle.allProcesses().map(ProcessHandle::pid).filter(pid -> {
            try {
                return Files.readString(Path.of("/proc", pid.toString(), "cgroup")).contains("/" + name);
            } catch (java.io.IOException e) {
                return false; // gone meanwhile
            }
        }).toList();
    }

    private static String debArch() {
        return System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64";
    }

    private static Path only(Path dir, String prefix, String suffix) throws java.io.IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> found = s.filter(p -> p.getFileName().toString().startsWith(prefix)
                    && p.getFileName().toString().endsWith(suffix)).toList();
            assertEquals(1, found.size(), () -> "expected one " + prefix + "*" + suffix + " in " + dir + ": " + found
                    + " (mvn package makes it)");
            return found.get(0);
        }
    }

    private static byte[] run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), () -> String.join(" ", argv) + " failed");
        return out;
    }
}
