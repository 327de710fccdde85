package dev.berth.engine.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.containers.ContainerConfig;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.RootOnly;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Regression (issue 12): containerd's label rule (key plus value at most 4096 bytes) was checked for
 * images and content only; containers, snapshots, leases and namespaces (all reachable through the
 * gRPC API) stored any size. Every store now refuses before it writes, naming the object, the field
 * and the fix, and nothing is created.
 */
@RootOnly("opens the engine's runtime (conmon, cgroups)")
class LabelLimitsIT {
    private static final Map<String, String> BIG = Map.of("note", "x".repeat(4093));
    private static final Map<String, String> FITS = Map.of("note", "x".repeat(4092));

    /** Runs {@code write}, which must be refused for {@code object}'s labels. */
    private static void refused(String object, org.junit.jupiter.api.function.Executable write) {
        BerthException e = assertThrows(BerthException.class, write);
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
        assertTrue(e.getMessage().startsWith(object + ": labels: label note is 4097 bytes (key plus value); the limit is "
                + "4096; containerd's rule is a non-empty key and a value of at most 4096 bytes together: shorten it"),
                e.getMessage());
    }

    @Test
    void everyStoreRefusesALabelOverContainerdsLimitAndCreatesNothing() throws Exception {
        Path tmp = Files.createTempDirectory("berth-labels-");
        try (HostCleanup clean = HostCleanup.under(tmp)) {
            Config c = Config.defaults().with(EngineSettings.ROOT, tmp.resolve("root").toString())
                    .with(EngineSettings.STATE, tmp.resolve("state").toString());
            try (Engine e = Engine.open(c)) {
                refused("lease big", () -> e.leases().create("big", BIG));
                assertTrue(e.leases().list().stream().noneMatch(l -> l.id().equals("big")));
                e.leases().delete(e.leases().create("fits", FITS).id());

                refused("namespace big", () -> e.namespaces().create("big", BIG));
                assertTrue(e.namespaces().find("big").isEmpty());

                var sn = e.snapshotters().get("overlayfs");
                refused("snapshot big (overlayfs)", () -> sn.prepare("big", null, BIG));
                assertTrue(sn.find("big").isEmpty(), "no snapshot record");
                sn.prepare("fits", null, FITS);
                refused("snapshot fits (overlayfs)", () -> sn.updateLabels("fits", BIG));
                sn.remove("fits");

                Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
                refused("container default/big", () -> e.containers().create("default", "big",
                        ContainerConfig.builder().rootfs(rootfs).label("note", BIG.get("note")).build()));
                assertTrue(e.containers().find("default", "big").isEmpty());
            }
        }
    }
}
