package dev.berth.controller;

import dev.berth.engine.testing.RootOnly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.store.StoredObject;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.hostpath.HostPathSettings;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.mount.Unmount;
import dev.berth.engine.runtime.RuntimeSettings;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Spec in, node state out, for Image and Snapshot objects through the whole daemon: a manifest file
 * makes an unpacked image and a mounted snapshot; drift (unmount, deleted snapshot directory) is
 * repaired; a daemon restart keeps status and redoes nothing; removing the file cleans up.
 */
@RootOnly("needs root for overlay mounts")
class DeclarativeSnapshotIT {
    private static final String IMAGE = """
            apiVersion: berth.dev/v1alpha1
            kind: Image
            metadata:
              name: busybox
            spec:
              ref: localhost/berth/busybox:latest
              pullPolicy: Never
            """;

    @TempDir
    Path tmp;
    Config config;
    Path mnt;
    Daemon daemon;

    @BeforeEach
    void setUp() throws Exception {
        config = Config.defaults()
                .with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(RuntimeSettings.LOG_DIR, tmp.resolve("logs").toString())
                .with(ControllerSettings.API_ADDRESS, tmp.resolve("state/berth.sock").toString())
                .with(ControllerSettings.MANIFEST_DIR, tmp.resolve("manifests").toString())
                .with(HostPathSettings.MOUNT_PATH_ROOTS, java.util.List.of(tmp.resolve("mnts").toString()));
        Files.createDirectories(tmp.resolve("manifests"));
        mnt = tmp.resolve("mnts/mnt");
        BuiltImage img = OciImageBuilder.busybox().build();
        try (Engine e = Engine.open(config)) {
            img.importInto(e, tmp.resolve("layout"), "localhost/berth/busybox:latest");
        }
    }

    @AfterEach
    void tearDown() {
        if (daemon != null) {
            daemon.close();
        }
        if (mnt != null) {
            Unmount.unmountAll(mnt);
        }
        if (tmp != null) {
            MountTable.cleanUnder(tmp);
        }
    }

    private JsonNode status(String kind, String name) {
        // as the API shows it
        return new SpecCodec().jsonMapper().valueToTree(daemon.store().get(new ObjectRef(kind, "default", name))
                .map(StoredObject::status).orElseThrow());
    }

    private boolean ready(String kind, String name) {
        Optional<StoredObject> o = daemon.store().get(new ObjectRef(kind, "default", name));
        if (o.isEmpty()) {
            return false;
        }
        JsonNode status = status(kind, name);
        for (JsonNode c : status.path("conditions")) {
            if (c.path("type").asText().equals("Ready")) {
                return c.path("status").asText().equals("True")
                        && status.path("observedGeneration").asLong() == o.get().generation();
            }
        }
        return false;
    }

    @Test
    void manifestToMountedSnapshotWithDriftRepairRestartAndCleanup() throws Exception {
        Files.writeString(tmp.resolve("manifests/snap.yaml"), IMAGE + """
                  unpack:
                    snapshotter: overlayfs
                ---
                apiVersion: berth.dev/v1alpha1
                kind: Snapshot
                metadata:
                  name: scratch
                spec:
                  image: busybox
                  mountPath: %s
                """.formatted(mnt));
        daemon = Daemon.start(config);
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> ready("Snapshot", "scratch"));
        assertTrue(MountTable.isMountPoint(mnt));
        assertTrue(Files.isExecutable(mnt.resolve("bin/busybox")));
        assertTrue(ready("Image", "busybox"));
        assertTrue(status("Image", "busybox").path("chainID").asText().startsWith("sha256:"));

        // drift: unmounted from outside
        Unmount.unmountAll(mnt);
        daemon.controller().resync();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> MountTable.isMountPoint(mnt));

        // drift: the snapshot's directory deleted
        Files.writeString(mnt.resolve("marker"), "x");
        Unmount.unmountAll(mnt);
        Path fs = ((dev.berth.engine.snapshots.LocalSnapshotter) daemon.engine().snapshotter())
                .fsDir("snapshot/default/scratch");
        assertTrue(Files.exists(fs.resolve("marker")));
        dev.berth.engine.testing.Tools.run(java.util.List.of("rm", "-rf", fs.getParent().toString()));
        daemon.controller().resync();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> MountTable.isMountPoint(mnt)
                && Files.exists(mnt.resolve("bin/busybox")));
        assertFalse(Files.exists(mnt.resolve("marker")), "a recreated snapshot starts empty");

        // the status of the repair is written after the mount: wait for it to name the new snapshot
        Path recreated = ((dev.berth.engine.snapshots.LocalSnapshotter) daemon.engine().snapshotter())
                .fsDir("snapshot/default/scratch");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status("Snapshot", "scratch").path("mounts")
                .toString().contains("upperdir=" + recreated) && daemon.controller().queueDepth() == 0);

        // restart: status kept, nothing redone
        String before = status("Snapshot", "scratch").toString();
        long events = daemon.events().list(null, 1000).size();
        daemon.close();
        daemon = Daemon.start(config);
        Awaitility.await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30))
                .until(() -> daemon.controller().queueDepth() == 0 && ready("Snapshot", "scratch"));
        assertEquals(before, status("Snapshot", "scratch").toString());
        assertEquals(events, daemon.events().list(null, 1000).size(), "a restart with nothing drifted records no events");

        // the file goes: both objects and their node state go
        Files.delete(tmp.resolve("manifests/snap.yaml"));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> daemon.store().list(null).isEmpty());
        assertFalse(MountTable.isMountPoint(mnt));
        dev.berth.engine.errdefs.BerthException gone = org.junit.jupiter.api.Assertions.assertThrows(
                dev.berth.engine.errdefs.BerthException.class, () -> daemon.engine().snapshotter().stat("snapshot/default/scratch"));
        assertEquals(dev.berth.engine.errdefs.ErrorCategory.NOT_FOUND, gone.category());
    }

    private String degraded(String kind, String name) {
        for (JsonNode c : status(kind, name).path("conditions")) {
            if (c.path("type").asText().equals("Degraded") && c.path("status").asText().equals("True")) {
                return c.path("message").asText();
            }
        }
        return null;
    }

    /** Regression: mount paths were checked only for being absolute and clean (issue 12). */
    @Test
    void mountPathsOutsideThePolicyAreNeverMounted() throws Exception {
        Path system = Path.of("/etc/berth-it-" + Long.toHexString(System.nanoTime()));
        Path own = tmp.resolve("state/tasks");
        Path outside = tmp.resolve("elsewhere");
        StringBuilder yaml = new StringBuilder(IMAGE);
        String[] names = {"system", "own", "outside"};
        Path[] paths = {system, own, outside};
        for (int i = 0; i < names.length; i++) {
            yaml.append("""
                    ---
                    apiVersion: berth.dev/v1alpha1
                    kind: Snapshot
                    metadata:
                      name: %s
                    spec:
                      image: busybox
                      mountPath: %s
                    """.formatted(names[i], paths[i]));
        }
        Files.writeString(tmp.resolve("manifests/snap.yaml"), yaml);
        try {
            daemon = Daemon.start(config);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> ready("Image", "busybox")
                    && java.util.Arrays.stream(names).allMatch(n -> degraded("Snapshot", n) != null));
            assertTrue(degraded("Snapshot", "system").contains("spec.mountPath: host path " + system
                    + " is refused: it lies under the system directory /etc"), degraded("Snapshot", "system"));
            assertTrue(degraded("Snapshot", "own").contains("lies under Berth's state directory"), degraded("Snapshot", "own"));
            assertTrue(degraded("Snapshot", "outside").contains("is not under an allowed mount directory ("
                    + tmp.resolve("mnts") + ")"), degraded("Snapshot", "outside"));
            for (int i = 0; i < names.length; i++) {
                assertFalse(MountTable.isMountPoint(paths[i]), paths[i] + " was mounted");
                assertFalse(Files.exists(paths[i]) && i != 1, paths[i] + " was created");
                String key = "snapshot/default/" + names[i];
                assertThrows(dev.berth.engine.errdefs.BerthException.class, () -> daemon.engine().snapshotter().stat(key));
            }
            // deleting the refused objects unmounts nothing of the host's
            Files.delete(tmp.resolve("manifests/snap.yaml"));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> daemon.store().list(null).isEmpty());
        } finally {
            Unmount.unmountAll(system);
            Files.deleteIfExists(system);
        }
    }
}
