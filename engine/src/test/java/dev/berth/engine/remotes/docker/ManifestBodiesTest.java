package dev.berth.engine.remotes.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ManifestBodiesTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void mediaTypeFromBodyHeaderOrShape() {
        assertEquals(MediaTypes.DOCKER_MANIFEST, ManifestBodies.mediaType(
                b("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"config\":{},\"layers\":[]}"),
                "application/json", "m"));
        assertEquals(MediaTypes.OCI_INDEX, ManifestBodies.mediaType(b("{\"schemaVersion\":2,\"manifests\":[]}"),
                "application/octet-stream", "m"));
        assertEquals(MediaTypes.OCI_MANIFEST, ManifestBodies.mediaType(
                b("{\"schemaVersion\":2,\"config\":{},\"layers\":[]}"), null, "m"));
        assertEquals(MediaTypes.OCI_INDEX, ManifestBodies.mediaType(b("{\"schemaVersion\":2,\"manifests\":[]}"),
                MediaTypes.OCI_INDEX + "; charset=utf-8", "m"));
    }

    @Test
    void refusesMalformedSchema1UnknownAndMixed() {
        BerthException e = assertThrows(BerthException.class, () -> ManifestBodies.mediaType(b("{\"schemaVersion\":"),
                null, "manifest x"));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
        assertTrue(e.getMessage().startsWith("manifest x is not valid JSON"), e.getMessage());

        e = assertThrows(BerthException.class, () -> ManifestBodies.mediaType(
                b("{\"schemaVersion\":1,\"fsLayers\":[]}"), "application/json", "m"));
        assertEquals(ErrorCategory.NOT_IMPLEMENTED, e.category());
        assertTrue(e.getMessage().contains("schema 1"), e.getMessage());

        e = assertThrows(BerthException.class, () -> ManifestBodies.mediaType(
                b("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.example.thing+json\"}"), null, "m"));
        assertEquals(ErrorCategory.NOT_IMPLEMENTED, e.category());
        assertTrue(e.getMessage().contains("application/vnd.example.thing+json"), e.getMessage());

        e = assertThrows(BerthException.class, () -> ManifestBodies.mediaType(
                b("{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"manifests\":[]}"), null, "m"));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());

        e = assertThrows(BerthException.class, () -> ManifestBodies.mediaType(b("[1,2]"), null, "m"));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
    }
}
