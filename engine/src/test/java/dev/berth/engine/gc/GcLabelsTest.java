package dev.berth.engine.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GcLabelsTest {
    @Test
    void referencesFollowContainerdsKeys() {
        Map<String, String> labels = Map.of(
                "containerd.io/gc.ref.content", "sha256:a",
                "containerd.io/gc.ref.content.m.0", "sha256:b",
                "containerd.io/gc.ref.content.l.12", "sha256:c",
                "containerd.io/gc.ref.snapshot.overlayfs", "sha256:chain",
                "containerd.io/gc.ref.snapshot.native/1", "key-1",
                "containerd.io/gc.ref.image", "docker.io/library/busybox:latest",
                "containerd.io/gc.ref.contentx", "sha256:not-a-ref",
                "containerd.io/gc.ref.content.", "sha256:empty-suffix",
                "containerd.io/gc.ref.snapshot.", "no-snapshotter",
                "containerd.io/distribution.source.docker.io", "library/busybox");
        assertEquals(Set.of(GcNode.content("sha256:a"), GcNode.content("sha256:b"), GcNode.content("sha256:c"),
                GcNode.snapshot("overlayfs", "sha256:chain"), GcNode.snapshot("native", "key-1"),
                GcNode.image("docker.io/library/busybox:latest")), new HashSet<>(GcLabels.references(labels)));
    }

    @Test
    void backReferencesAndRoots() {
        Map<String, String> labels = Map.of("containerd.io/gc.bref.content.x", "sha256:parent",
                "containerd.io/gc.bref.snapshot.overlayfs/0", "ctr-1", "containerd.io/gc.root", "");
        assertEquals(Set.of(GcNode.content("sha256:parent"), GcNode.snapshot("overlayfs", "ctr-1")),
                new HashSet<>(GcLabels.backReferences(labels)));
        assertTrue(GcLabels.isRoot(labels));
        assertFalse(GcLabels.isRoot(Map.of("containerd.io/gc.rooted", "x")));
        assertEquals(List.of(), GcLabels.references(labels));
    }
}
