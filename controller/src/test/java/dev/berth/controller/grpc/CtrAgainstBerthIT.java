package dev.berth.controller.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.controller.BuildInfo;
import dev.berth.controller.Daemon;
import dev.berth.engine.config.Config;
import dev.berth.engine.content.ContentFilters;
import dev.berth.engine.images.archive.ImageImporter;
import dev.berth.engine.images.archive.ImportOptions;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.LayerBuilder;
import dev.berth.engine.testing.RegistryProcess;
import dev.berth.engine.testing.OciImageBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's real {@code ctr} (containerd 1.6.20's client) against a Berth daemon's gRPC socket: the
 * inspection commands show what Berth's reconcilers made (image, content, snapshots, container,
 * task), events carry a task exit, and bad requests get containerd's status codes.
 */
class CtrAgainstBerthIT {
    private static final String IMAGE = "localhost/berth/busybox:latest";

    @TempDir
    Path tmp;
    Daemon daemon;
    Config config;
    Path sock;
    final String cgroupParent = "/berth-ctr-" + Long.toHexString(System.nanoTime());

    record Ctr(int code, String out) {
    }

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for runc and overlay mounts");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ctr")), "needs Debian's containerd package (ctr)");
        Path manifests = Files.createDirectories(tmp.resolve("manifests"));
        sock = CtrDaemons.socket(tmp);
        Config c = config = CtrDaemons.config(tmp, cgroupParent, manifests);
        BuiltImage img = OciImageBuilder.busybox().build();
        img.writeLayout(tmp.resolve("layout"), "latest");
        try (var e = dev.berth.engine.Engine.open(c)) {
            new ImageImporter(e.content(), e.images(), e.leases()).importFrom(tmp.resolve("layout"),
                    ImportOptions.defaults().withName(IMAGE));
        }
        Files.writeString(manifests.resolve("sleeper.yaml"), """
                apiVersion: berth.dev/v1alpha1
                kind: Image
                metadata: {name: busybox}
                spec: {ref: %s, pullPolicy: Never}
                ---
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata: {name: sleeper}
                spec:
                  image: busybox
                  command: [/bin/busybox, sleep, "3600"]
                  restartPolicy: Never
                """.formatted(IMAGE));
        daemon = Daemon.start(c);
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> daemon.engine().runtime().find("default", "sleeper")
                .map(t -> t.state() == TaskState.RUNNING).orElse(false));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (config != null) {
            CtrDaemons.tearDown(daemon, config, tmp, cgroupParent);
        }
    }

    private Ctr ctr(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("ctr", "--address", sock.toString(), "--connect-timeout", "30s"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "ctr " + String.join(" ", args) + " did not finish");
        return new Ctr(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    private Ctr ok(String... args) throws IOException, InterruptedException {
        Ctr r = ctr(args);
        assertEquals(0, r.code(), "ctr " + String.join(" ", args) + ":\n" + r.out());
        return r;
    }

    @Test
    void versionShowsBerthAsTheServer() throws Exception {
        String out = ok("version").out();
        String server = out.substring(out.indexOf("Server:"));
        assertTrue(server.contains("Version:  " + BuildInfo.version()), out);
        String uuid = Files.readString(tmp.resolve("root/uuid")).trim();
        assertTrue(server.contains("UUID: " + uuid), out);
    }

    @Test
    void listingsShowWhatTheReconcilersMade() throws Exception {
        assertTrue(ok("namespaces", "ls").out().lines().anyMatch(l -> l.startsWith("default")));
        String images = ok("images", "ls").out();
        var image = daemon.engine().images().get(IMAGE);
        assertTrue(images.contains(IMAGE) && images.contains(image.target().digest().toString()), images);

        Set<String> ctrDigests = new TreeSet<>();
        ok("content", "ls", "-q").out().lines().filter(l -> l.startsWith("sha256:")).forEach(ctrDigests::add);
        Set<String> berthDigests = new TreeSet<>();
        daemon.engine().content().walk(ContentFilters.all(), i -> berthDigests.add(i.digest().toString()));
        assertEquals(berthDigests, ctrDigests);

        List<String> committed = new ArrayList<>();
        daemon.engine().snapshotter().walk(s -> {
            if (s.kind() == dev.berth.engine.snapshots.Kind.COMMITTED) {
                committed.add(s.name());
            }
        });
        assertNotEquals(List.of(), committed);
        String snaps = ok("snapshots", "ls").out();
        committed.forEach(n -> assertTrue(snaps.contains(n), n + " missing from\n" + snaps));

        assertTrue(ok("containers", "ls").out().lines().anyMatch(l -> l.startsWith("sleeper ")));
        long pid = daemon.engine().runtime().find("default", "sleeper").orElseThrow().pid();
        assertTrue(ok("tasks", "ls").out().lines().anyMatch(l -> l.matches("sleeper\\s+" + pid + "\\s+RUNNING\\s*")),
                ctr("tasks", "ls").out());
        String info = ok("containers", "info", "sleeper").out();
        assertTrue(info.contains("\"ID\": \"sleeper\"") && info.contains("/bin/busybox"), info);
        ok("leases", "ls");
        assertTrue(ok("plugins", "ls").out().contains("overlayfs"));
        // namespaced: another namespace has no containers, and exists once used (as containerd makes it)
        assertTrue(ok("-n", "other", "containers", "ls").out().lines().skip(1).findAny().isEmpty());
        assertTrue(ok("namespaces", "ls").out().lines().anyMatch(l -> l.startsWith("other")));
        // content read streams the blob
        String manifest = ok("content", "get", image.target().digest().toString()).out();
        assertTrue(manifest.contains("\"layers\""), manifest);
        // the largest blob (a layer) is past the size a Read answers in place: it streams from a thread
        // of its own, whole
        var layer = daemon.engine().content().list(ContentFilters.all()).stream().max(java.util.Comparator.comparingLong(i -> i.size())).orElseThrow();
        assertTrue(layer.size() > ContentService.INLINE_READ_MAX, "the fixture's layer is " + layer.size() + " bytes");
        Process get = new ProcessBuilder("ctr", "--address", sock.toString(), "content", "get", layer.digest().toString())
                .redirectErrorStream(true).start();
        get.getOutputStream().close();
        byte[] blob = get.getInputStream().readAllBytes();
        assertTrue(get.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, get.exitValue(), new String(blob, StandardCharsets.UTF_8));
        assertEquals(layer.size(), blob.length);
        assertEquals(layer.digest().toString(), "sha256:" + java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(blob)));
    }

    @Test
    void namespacesAreCreatedLabelledAndRemovedAsInContainerd() throws Exception {
        ok("namespaces", "create", "team-a", "owner=ops");
        assertTrue(ok("namespaces", "ls").out().lines().anyMatch(l -> l.matches("team-a\\s+owner=ops\\s*")),
                ctr("namespaces", "ls").out());
        Ctr again = ctr("namespaces", "create", "team-a");
        assertEquals(1, again.code());
        assertTrue(again.out().contains("already exists"), again.out());
        ok("namespaces", "label", "team-a", "tier=gold");
        String ls = ok("namespaces", "ls").out();
        assertTrue(ls.contains("owner=ops") && ls.contains("tier=gold"), ls);
        // kept as a record in meta.db
        assertTrue(daemon.engine().namespaces().find("team-a").isPresent());
        Ctr busy = ctr("namespaces", "rm", "default");
        assertEquals(1, busy.code());
        assertTrue(busy.out().contains("must be empty"), busy.out());
        ok("namespaces", "rm", "team-a");
        assertTrue(ok("namespaces", "ls").out().lines().noneMatch(l -> l.startsWith("team-a")));
        Ctr gone = ctr("namespaces", "label", "team-a", "k=v");
        assertEquals(1, gone.code());
        assertTrue(gone.out().contains("not found"), gone.out());
        Ctr bad = ctr("namespaces", "create", "Bad Name");
        assertEquals(1, bad.code());
        assertTrue(bad.out().contains("invalid"), bad.out());
    }

    @Test
    void tasksArePausedResumedKilledAndDeletedByCtr() throws Exception {
        ok("tasks", "pause", "sleeper");
        assertEquals(TaskState.PAUSED, daemon.engine().runtime().find("default", "sleeper").orElseThrow().state());
        assertTrue(ok("tasks", "ls").out().contains("PAUSED"));
        ok("tasks", "resume", "sleeper");
        assertEquals(TaskState.RUNNING, daemon.engine().runtime().find("default", "sleeper").orElseThrow().state());
        Ctr running = ctr("tasks", "delete", "sleeper");
        assertEquals(1, running.code());
        assertTrue(running.out().contains("must be stopped before deletion"), running.out());
        ok("tasks", "kill", "-s", "SIGKILL", "sleeper");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> daemon.engine().runtime().find("default", "sleeper")
                .map(t -> t.state() == TaskState.STOPPED).orElse(true));
        ok("tasks", "delete", "sleeper");
        assertTrue(daemon.engine().runtime().find("default", "sleeper").isEmpty());
        Ctr gone = ctr("tasks", "kill", "sleeper");
        assertEquals(1, gone.code());
        assertTrue(gone.out().contains("not found"), gone.out());
    }

    @Test
    void eventsCarryATaskExit() throws Exception {
        Process events = new ProcessBuilder("ctr", "--address", sock.toString(), "events").redirectErrorStream(true)
                .redirectOutput(tmp.resolve("events.txt").toFile()).start();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> daemon.grpc().subscribers() > 0);
            daemon.engine().runtime().kill("default", "sleeper", 9, false);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    Files.readString(tmp.resolve("events.txt")).contains("/tasks/exit"));
            String line = Files.readString(tmp.resolve("events.txt")).lines().filter(l -> l.contains("/tasks/exit"))
                    .findFirst().orElseThrow();
            assertTrue(line.contains("default") && line.contains("\"container_id\":\"sleeper\"")
                    && line.contains("\"exit_status\":137"), line);
        } finally {
            events.destroy();
            events.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void eventsAnnounceWhatTheReconcilersAndTheEngineDo() throws Exception {
        Process events = new ProcessBuilder("ctr", "--address", sock.toString(), "events").redirectErrorStream(true)
                .redirectOutput(tmp.resolve("events2.txt").toFile()).start();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> daemon.grpc().subscribers() > 0);
            // a declarative Container in namespace evns: its rootfs snapshot is prepared by the reconciler
            Files.writeString(tmp.resolve("manifests/evns.yaml"), """
                    apiVersion: berth.dev/v1alpha1
                    kind: Image
                    metadata: {name: busybox, namespace: evns}
                    spec: {ref: %s, pullPolicy: Never}
                    ---
                    apiVersion: berth.dev/v1alpha1
                    kind: Container
                    metadata: {name: ev, namespace: evns}
                    spec:
                      image: busybox
                      command: [/bin/busybox, sleep, "3600"]
                      restartPolicy: Never
                    """.formatted(IMAGE));
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(tmp.resolve("events2.txt"))
                    .lines().anyMatch(l -> l.contains("/snapshot/prepare") && l.contains("evns")));
            // an image record removed through the engine (as `berth images rm` does) is announced too
            daemon.engine().images().create(dev.berth.engine.images.Image.of("localhost/ev/copy:1", daemon.engine().images().get(IMAGE).target()));
            daemon.engine().images().delete("localhost/ev/copy:1");
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(tmp.resolve("events2.txt"))
                    .contains("/images/delete"));
            List<String> lines = Files.readString(tmp.resolve("events2.txt")).lines().toList();
            String prepare = lines.stream().filter(l -> l.contains("/snapshot/prepare") && l.contains("evns")).findFirst()
                    .orElseThrow();
            assertTrue(prepare.contains("\"key\":\"container/evns/ev\""), prepare);
            assertEquals(1, lines.stream().filter(l -> l.contains("/images/create") && l.contains("localhost/ev/copy:1"))
                    .count(), String.join("\n", lines));
            assertTrue(lines.stream().anyMatch(l -> l.contains("default") && l.contains("/images/delete")
                    && l.contains("localhost/ev/copy:1")), String.join("\n", lines));
        } finally {
            events.destroy();
            events.waitFor(10, TimeUnit.SECONDS);
            for (TaskStatus t : daemon.engine().runtime().list("evns")) {
                daemon.engine().runtime().delete(t.namespace(), t.id(), true);
            }
        }
    }

    private static BuiltImage twoLayers(String marker) {
        var a = LayerBuilder.create().compression(LayerBuilder.Compression.GZIP);
        a.dir("etc");
        a.file("etc/marker", marker);
        a.file("etc/gone", "removed by the next layer");
        var b = LayerBuilder.create();
        b.file("srv/data.txt", "second " + marker);
        b.whiteout("etc/gone");
        return OciImageBuilder.create().layer(a).layer(b).cmd("/bin/true").build();
    }

    /** The image's unpacked tree, as Berth's snapshotter holds it after ctr's unpack: a view mounted on {@code dir}. */
    private void assertUnpacked(String imageName, String marker) throws Exception {
        String list = ok("snapshots", "ls").out();
        var image = daemon.engine().images().get(imageName);
        assertTrue(list.contains("Committed"), list);
        Path mnt = Files.createDirectories(tmp.resolve("mnt-" + marker));
        Ctr mount = ok("images", "mount", imageName, mnt.toString());
        try {
            assertEquals(marker, Files.readString(mnt.resolve("etc/marker")));
            assertEquals("second " + marker, Files.readString(mnt.resolve("srv/data.txt")));
            assertTrue(Files.notExists(mnt.resolve("etc/gone")), "whiteout applied");
        } finally {
            ctr("images", "unmount", "--rm", mnt.toString());
            MountTable.cleanUnder(mnt);
        }
        assertTrue(mount.out().contains(mnt.toString()) || mount.code() == 0, mount.out());
        assertTrue(daemon.engine().content().exists(image.target().digest()));
    }

    @Test
    void importAndPullThroughCtrLandInBerthsStores() throws Exception {
        // import of an OCI archive: blobs through Content/Write, unpack through Snapshots + Diff/Apply
        BuiltImage imported = twoLayers("imported");
        Path layout = tmp.resolve("oci");
        imported.writeLayout(layout, "v1");
        Path tar = tmp.resolve("image.tar");
        Process t = new ProcessBuilder("tar", "-C", layout.toString(), "-cf", tar.toString(), ".").inheritIO().start();
        assertEquals(0, t.waitFor());
        String out = ok("images", "import", "--base-name", "localhost/ctr/imported", tar.toString()).out();
        assertTrue(out.contains("localhost/ctr/imported:v1"), out);
        assertEquals(imported.target().digest(), daemon.engine().images().get("localhost/ctr/imported:v1").target().digest());
        assertUnpacked("localhost/ctr/imported:v1", "imported");
        assertTrue(ok("images", "check").out().contains("complete"), "all blobs present");

        // client-side pull from a registry process, as ctr 1.6 pulls
        BuiltImage pulled = twoLayers("pulled");
        try (RegistryProcess reg = RegistryProcess.start()) {
            Path l2 = tmp.resolve("oci2");
            pulled.writeLayout(l2, "v2");
            reg.push(l2, "v2", "ctr/pulled:v2");
            String ref = reg.host() + "/ctr/pulled:v2";
            ok("images", "pull", "--plain-http", ref);
            assertEquals(pulled.target().digest(), daemon.engine().images().get(ref).target().digest());
            assertUnpacked(ref, "pulled");
        }
        // ctr's leases are gone once it is done; the images keep their blobs through GC
        assertTrue(ok("leases", "ls").out().lines().skip(1).findAny().isEmpty(), ctr("leases", "ls").out());
        daemon.engine().gc().collect(false);
        assertTrue(daemon.engine().content().exists(pulled.layers().get(1).digest()));
    }

    @Test
    void badRequestsGetContainerdsStatusCodes() throws Exception {
        Ctr missing = ctr("containers", "info", "nope");
        assertEquals(1, missing.code());
        assertTrue(missing.out().contains("not found"), missing.out());
        Ctr badDigest = ctr("content", "get", "sha256:xyz");
        assertEquals(1, badDigest.code());
        Ctr badNs = ctr("-n", "bad ns!", "tasks", "ls");
        assertEquals(1, badNs.code());
        assertTrue(badNs.out().contains("invalid"), badNs.out());
        Ctr noImage = ctr("images", "rm", "docker.io/library/none:latest");
        assertTrue(noImage.out().contains("not found"), noImage.out());
        // a runtime Berth does not have: refused with the reason, and nothing stored changed
        Ctr run = ctr("run", "--runtime", "io.containerd.kata.v2", IMAGE, "ctr-made", "/bin/busybox", "true");
        assertEquals(1, run.code());
        assertTrue(run.out().contains("not served"), run.out());
        assertTrue(daemon.engine().containers().find("default", "ctr-made").isEmpty());
        assertTrue(daemon.engine().runtime().find("default", "ctr-made").isEmpty());
        assertTrue(ok("images", "ls").out().contains(IMAGE));
        assertTrue(ok("tasks", "ls").out().contains("RUNNING"));
    }

    @Test
    void ctrRunsExecsKillsAndRemovesItsOwnContainers() throws Exception {
        Ctr hi = ok("run", "--rm", IMAGE, "c-rm", "/bin/busybox", "echo", "hi from ctr");
        assertTrue(hi.out().contains("hi from ctr"), hi.out());
        assertTrue(daemon.engine().containers().find("default", "c-rm").isEmpty(), "run --rm removed the record");
        assertTrue(daemon.engine().runtime().find("default", "c-rm").isEmpty(), "run --rm removed the task");
        assertFalse(ok("snapshots", "ls").out().contains("c-rm"), "ctr removed its snapshot");
        Ctr code = ctr("run", "--rm", IMAGE, "c-code", "/bin/busybox", "sh", "-c", "echo out; echo err >&2; exit 3");
        assertEquals(3, code.code(), code.out());
        assertTrue(code.out().contains("out") && code.out().contains("err"), () -> "ctr printed [" + code.out()
                + "]; the task's CRI log: " + readQuietly(daemon.engine().runtime().logPath("default", "c-code")));

        ok("run", "-d", IMAGE, "c-d", "/bin/busybox", "sleep", "600");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ok("tasks", "ls").out().lines()
                .anyMatch(l -> l.startsWith("c-d") && l.contains("RUNNING")));
        // the same record and cgroup layout as every Berth container
        var info = daemon.engine().containers().find("default", "c-d").orElseThrow();
        assertEquals(daemon.engine().runtime().cgroupPaths().specPath("default", "c-d"), info.cgroupsPath());
        assertTrue(ok("containers", "ls").out().contains("c-d"));
        assertTrue(ok("containers", "info", "c-d").out().contains("\"sleep\""), "the client's spec is kept");
        Ctr exec = ok("tasks", "exec", "--exec-id", "e1", "c-d", "/bin/busybox", "echo", "from exec");
        assertTrue(exec.out().contains("from exec"), exec.out());
        Ctr failing = ctr("tasks", "exec", "--exec-id", "e2", "c-d", "/bin/busybox", "sh", "-c", "exit 5");
        assertEquals(5, failing.code(), failing.out());

        ok("tasks", "kill", "-s", "SIGKILL", "c-d");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ok("tasks", "ls").out().lines()
                .anyMatch(l -> l.startsWith("c-d") && l.contains("STOPPED")));
        ok("tasks", "delete", "c-d");
        ok("containers", "rm", "c-d");
        assertFalse(ok("containers", "ls").out().contains("c-d"));
        assertFalse(ok("snapshots", "ls").out().contains("c-d"));
        assertFalse(MountTable.isMountPoint(info.rootfs()), "the rootfs was unmounted");
        // what the reconciler keeps is untouched
        assertTrue(ok("tasks", "ls").out().lines().anyMatch(l -> l.startsWith("sleeper") && l.contains("RUNNING")));
    }

    /**
     * {@code ctr run --log-uri}: a file:// URI gets both streams appended, raw; a binary:// URI gets a
     * logging program with the streams on fds 3 and 4, ready on fd 5, the container's id and namespace in
     * its environment and the query as arguments, as containerd's shim starts one. An unknown scheme
     * is refused before anything is created.
     */
    @Test
    void logUrisSendOutputToAFileOrALoggingBinary() throws Exception {
        Path log = tmp.resolve("logs-by-uri/c-file.log");
        ok("run", "--rm", "--log-uri", "file://" + log, IMAGE, "c-file", "/bin/busybox", "sh", "-c",
                "echo to-out; echo to-err >&2");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log)
                && Files.readString(log).contains("to-out") && Files.readString(log).contains("to-err"));

        Path logger = tmp.resolve("logger.sh");
        Path copied = tmp.resolve("copied");
        Files.writeString(logger, """
                #!/bin/sh
                # $1 $2: the query's key and value; fd 3 stdout, fd 4 stderr, fd 5 ready
                echo "$CONTAINER_NAMESPACE/$CONTAINER_ID $1=$2" > "$2.env"
                exec 5>&-
                cat <&3 > "$2.out" &
                cat <&4 > "$2.err"
                wait
                """);
        Files.setPosixFilePermissions(logger, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        ok("run", "--rm", "--log-uri", "binary://" + logger + "?dest=" + copied, IMAGE, "c-bin", "/bin/busybox", "sh",
                "-c", "echo bin-out; echo bin-err >&2");
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> Files.exists(Path.of(copied + ".err"))
                && Files.readString(Path.of(copied + ".out")).equals("bin-out\n")
                && Files.readString(Path.of(copied + ".err")).equals("bin-err\n"));
        assertEquals("default/c-bin dest=" + copied + "\n", Files.readString(Path.of(copied + ".env")));

        Ctr bad = ctr("run", "--rm", "--log-uri", "syslog://x/y", IMAGE, "c-bad", "/bin/busybox", "true");
        assertTrue(bad.code() != 0 && bad.out().contains("scheme syslog"), bad.out());
        assertTrue(daemon.engine().runtime().find("default", "c-bad").isEmpty(), "no task for a refused log URI");
    }
}
