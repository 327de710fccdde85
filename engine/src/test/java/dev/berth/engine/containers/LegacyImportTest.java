package dev.berth.engine.containers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.events.EventBus;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.metadata.MetadataStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An upgraded node keeps its containers: the tables an older Berth wrote (the reconciler's
 * {@code container_state}, the runtime's {@code tasks} of {@code berth run} containers) become
 * container records once, with the paths those containers really have.
 */
class LegacyImportTest {
    private static final String TASKS_DDL = "CREATE TABLE tasks (namespace TEXT NOT NULL, id TEXT NOT NULL, "
            + "bundle TEXT NOT NULL, runtime TEXT NOT NULL, cgroup_path TEXT NOT NULL, log_path TEXT NOT NULL, "
            + "pid INTEGER NOT NULL DEFAULT 0, monitor_pid INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, "
            + "started_at TEXT, exit_code INTEGER, exited_at TEXT, oom_killed INTEGER NOT NULL DEFAULT 0, "
            + "PRIMARY KEY (namespace, id))";

    private static void task(MetadataStore md, String id, Path bundle) {
        md.transaction(tx -> tx.update("INSERT INTO tasks(namespace, id, bundle, runtime, cgroup_path, log_path, "
                + "created_at) VALUES('default',?,?,'/usr/sbin/runc',?,'/l','2026-01-01T00:00:00Z')", id,
                bundle.toString(), "p/default/" + id));
    }

    private static void config(Path bundle, String root, String cgroups) throws Exception {
        Files.createDirectories(bundle);
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"" + root
                + "\"},\"linux\":{\"cgroupsPath\":\"" + cgroups + "\"}}");
    }

    @Test
    void olderTablesBecomeRecordsOnce() throws Exception {
        Path dir = Files.createTempDirectory("berth-legacy-");
        try {
            Path tasks = dir.resolve("state/tasks/default");
            Path rootfsDir = dir.resolve("given-rootfs");
            try (MetadataStore md = MetadataStore.open(dir.resolve("meta.db"))) {
                md.migrate("tasks", List.of(TASKS_DDL));
                md.migrate("container_state", List.of("CREATE TABLE container_state (namespace TEXT NOT NULL, "
                        + "name TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (namespace, name))"));
                md.transaction(tx -> tx.update("INSERT INTO container_state VALUES('default','web',?)",
                        "{\"imageName\":\"docker.io/library/busybox:1\",\"snapshotter\":\"native\",\"restartCount\":2}"));
                task(md, "web", tasks.resolve("web"));
                config(tasks.resolve("web"), tasks.resolve("web/rootfs").toString(), "/p/default/web");
                task(md, "ran", tasks.resolve("ran"));
                config(tasks.resolve("ran"), "rootfs", "/p/default/ran");
                task(md, "bare", tasks.resolve("bare"));
                config(tasks.resolve("bare"), rootfsDir.toString(), "/p/default/bare");
            }
            try (MetadataStore md = MetadataStore.open(dir.resolve("meta.db"))) {
                ContainerRecords r = ContainerRecords.open(md, Clock.systemUTC(), EventBus.NONE,
                        (ns, id) -> tasks.getParent().resolve(ns).resolve(id), "overlayfs");
                ContainerInfo web = r.get("default", "web").orElseThrow();
                assertEquals("docker.io/library/busybox:1", web.image());
                assertEquals("native", web.snapshotter());
                assertEquals(Containers.snapshotKey("default", "web"), web.snapshotKey());
                assertEquals(tasks.resolve("web/rootfs"), web.rootfs());
                assertEquals("/p/default/web", web.cgroupsPath());
                assertTrue(web.extensions().get(ContainerRecords.LEGACY_STATE_EXTENSION).contains("\"restartCount\":2"));

                ContainerInfo ran = r.get("default", "ran").orElseThrow();
                assertEquals("overlayfs", ran.snapshotter());
                assertEquals("mount:" + tasks.resolve("ran/rootfs"), ran.snapshotKey(), "berth run's old key");
                assertEquals("/p/default/ran", ran.cgroupsPath());

                ContainerInfo bare = r.get("default", "bare").orElseThrow();
                assertNull(bare.snapshotKey(), "a given rootfs is not ours to remove");
                assertEquals(rootfsDir, bare.rootfs());
                assertEquals(3, r.list("default").size());
                assertTrue(md.<Boolean>query(tx -> !tx.exists(
                        "SELECT 1 FROM sqlite_master WHERE name='container_state'")));

                // once: a later open imports nothing again (a task made since has no record until its create)
                task(md, "later", tasks.resolve("later"));
                assertTrue(ContainerRecords.open(md, Clock.systemUTC(), EventBus.NONE, (ns, id) -> dir, "overlayfs")
                        .get("default", "later").isEmpty());
            }
        } finally {
            FileTree.deleteRecursively(dir);
        }
    }
}
