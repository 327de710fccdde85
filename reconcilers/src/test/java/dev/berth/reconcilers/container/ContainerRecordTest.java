package dev.berth.reconcilers.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.RestartPolicy;
import dev.berth.engine.containers.ContainerRecords;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.reconcilers.restart.CrashLoopBackOff;
import dev.berth.reconcilers.restart.RestartState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The persisted state survives a reopen of the database exactly, so no spec change is seen after a restart,
 * and an older Berth's row is imported into the container record unchanged (an upgraded node keeps it).
 */
class ContainerRecordTest {

    private static ContainerRecords records(MetadataStore store, Path dir) {
        return ContainerRecords.open(store, Clock.systemUTC(), EventBus.NONE, (ns, id) -> dir.resolve(ns).resolve(id),
                "overlayfs");
    }

    @Test
    void recordsRoundTripThroughTheDatabase() throws Exception {
        Path dir = Files.createTempDirectory("berth-ctr-state-");
        try {
            ContainerSpec spec = new ContainerSpec("img", null, List.of("sleep", "1"),
                    List.of(new ContainerSpec.EnvVar("A", "1")), null, null,
                    new ContainerSpec.Resources("64Mi", "500m", 5L),
                    List.of(new ContainerSpec.Mount("/t", ContainerSpec.MountType.Tmpfs, null, false, null)), null,
                    false, RestartPolicy.OnFailure, null, null, null);
            Instant t0 = Instant.parse("2026-01-01T00:00:00.123Z");
            CrashLoopBackOff backOff = new CrashLoopBackOff(Clock.fixed(t0, ZoneOffset.UTC));
            RestartState rs = backOff.onExit(backOff.onExit(null, t0.minusSeconds(9), t0.minusSeconds(5)), t0.minusSeconds(3), t0);
            ContainerRecord rec = ContainerRecord.EMPTY.applied(spec, "sha256:ab", "docker.io/library/x:1", "overlayfs")
                    .started(t0.minusSeconds(3)).exited(t0.minusMillis(5), 2, "Error", t0, rs).restarted();
            // as an older Berth left it: its own table, which the engine's container records import once
            String oldRow = tools.jackson.databind.json.JsonMapper.builder().build().writeValueAsString(rec);
            try (MetadataStore store = MetadataStore.open(dir.resolve("meta.db"))) {
                store.migrate("container_state", List.of("CREATE TABLE container_state (namespace TEXT NOT NULL, "
                        + "name TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (namespace, name))"));
                store.transaction(tx -> tx.update("INSERT INTO container_state VALUES(?,?,?)", "default", "c", oldRow));
            }
            try (MetadataStore store = MetadataStore.open(dir.resolve("meta.db"))) {
                ContainerStates states = new ContainerStates(records(store, dir));
                assertEquals(rec, states.get("default", "c").orElseThrow());
                assertFalse(store.<Boolean>query(tx -> tx.exists("SELECT 1 FROM sqlite_master WHERE name='container_state'")));
                states.put("default", "c", rec.restarted());
            }
            try (MetadataStore store = MetadataStore.open(dir.resolve("meta.db"))) {
                ContainerStates states = new ContainerStates(records(store, dir));
                ContainerRecord back = states.get("default", "c").orElseThrow();
                assertEquals(rec.restarted(), back);
                assertTrue(SpecChange.between(back.appliedSpec(), spec).none());
                assertEquals(rs, back.restartState());
                assertEquals(Duration.ofSeconds(10), back.restartState().delay());
                assertEquals(2, back.restartCount());
                states.delete("default", "c");
                assertTrue(states.get("default", "c").isEmpty());
                states.delete("default", "c");
            }
            assertNull(ContainerRecord.EMPTY.restartState());
        } finally {
            dev.berth.engine.fs.FileTree.deleteRecursively(dir);
        }
    }
}
