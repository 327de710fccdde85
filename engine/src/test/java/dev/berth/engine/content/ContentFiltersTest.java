package dev.berth.engine.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.Digest;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContentFiltersTest {
    private final Info info = new Info(Digest.sha256("x"), 42, Instant.EPOCH, Instant.EPOCH,
            Map.of("containerd.io/gc.root", "now", "a", "b"));

    @Test
    void parsesContainerdSyntax() {
        assertTrue(ContentFilters.parse("labels.\"containerd.io/gc.root\"").test(info));
        assertTrue(ContentFilters.parse("labels.a==b").test(info));
        assertFalse(ContentFilters.parse("labels.a!=b").test(info));
        assertTrue(ContentFilters.parse("size==42,labels.a~=^b$").test(info));
        assertFalse(ContentFilters.parse("size==42,labels.missing").test(info));
        assertTrue(ContentFilters.parse("digest==" + Digest.sha256("x")).test(info));
        assertTrue(ContentFilters.parse("").test(info));
    }

    @Test
    void rejectsGarbage() {
        BerthException e = assertThrows(BerthException.class, () -> ContentFilters.parse("nonsense==1"));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
        assertThrows(BerthException.class, () -> ContentFilters.parse("labels.a~=("));
    }
}
