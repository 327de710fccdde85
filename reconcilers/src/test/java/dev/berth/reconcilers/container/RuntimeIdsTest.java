package dev.berth.reconcilers.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which Container a runtime id belongs to: its own name, or a surge revision {@code <name>_<12 hex>}, nothing else. */
class RuntimeIdsTest {
    private static final String DIGEST = "sha256:7ceb9c2c91780f36465781f6c90fbdffc5a7958c0586d7d07e99356bf4f7e632";

    @Test
    void aRevisionIsTheNameAndTwelveHexDigitsOfItsDigest() {
        String id = RuntimeIds.surgeId("web-a", DIGEST);
        assertEquals("web-a_7ceb9c2c9178", id);
        assertEquals("web-a", RuntimeIds.owner(id));
        assertTrue(RuntimeIds.ownedBy(id, "web-a"));
        assertTrue(RuntimeIds.ownedBy("web-a", "web-a"));
        assertFalse(RuntimeIds.ownedBy(id, "web"), "web-a's revision is not web's");
        assertFalse(RuntimeIds.ownedBy("web-a", "web"));
    }

    @Test
    void aSandboxPauseContainerIsNobodysRevision() {
        assertEquals("pod_pause", RuntimeIds.owner("pod_pause"));
        assertFalse(RuntimeIds.ownedBy("pod_pause", "pod"));
        assertFalse(RuntimeIds.ownedBy("pod_7ceb9c2c917", "pod"), "11 hex digits");
        assertFalse(RuntimeIds.ownedBy("pod_7CEB9C2C9178", "pod"), "upper case");
    }
}
