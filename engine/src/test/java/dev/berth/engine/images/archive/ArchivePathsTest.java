package dev.berth.engine.images.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import org.junit.jupiter.api.Test;

class ArchivePathsTest {
    @Test
    void cleansHarmlessNames() {
        assertEquals("blobs/sha256/ab", ArchivePaths.clean("./blobs//sha256/ab"));
        assertEquals("index.json", ArchivePaths.clean("index.json"));
        assertEquals("a/b", ArchivePaths.clean("a/b/"));
    }

    @Test
    void refusesEscapes() {
        for (String bad : new String[] {"../x", "a/../../x", "/etc/passwd", "a/..", "", "a\0b"}) {
            BerthException e = assertThrows(BerthException.class, () -> ArchivePaths.clean(bad), bad);
            assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
        }
    }

    @Test
    void resolvesLinksInsideOnly() {
        assertEquals("b/layer.tar", ArchivePaths.resolveLink("a/layer.tar", "../b/layer.tar"));
        assertEquals("a/x", ArchivePaths.resolveLink("a/layer.tar", "x"));
        assertThrows(BerthException.class, () -> ArchivePaths.resolveLink("a/layer.tar", "../../etc/passwd"));
        assertThrows(BerthException.class, () -> ArchivePaths.resolveLink("a", "/etc/passwd"));
    }

    @Test
    void tagOfSplitsAfterTheLastSlash() {
        assertEquals("latest", ImageExporter.tagOf("docker.io/library/busybox:latest"));
        assertEquals("1", ImageExporter.tagOf("localhost:5000/app:1"));
        assertEquals(null, ImageExporter.tagOf("localhost:5000/app"));
        assertEquals(null, ImageExporter.tagOf("app@sha256:abc"));
    }
}
