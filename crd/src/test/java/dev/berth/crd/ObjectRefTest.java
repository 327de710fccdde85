package dev.berth.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.crd.container.Container;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Test;

class ObjectRefTest {
    @Test
    void parsesPrintsAndDefaultsTheNamespace() {
        assertEquals(new ObjectRef("Container", "default", "web"), ObjectRef.parse("Container/web"));
        assertEquals("Image/prod/busybox", ObjectRef.parse("Image/prod/busybox").toString());
        assertThrows(IllegalArgumentException.class, () -> ObjectRef.parse("web"));
        Container c = new Container();
        c.setMetadata(new ObjectMetaBuilder().withName("web").build());
        assertEquals(ObjectRef.parse("Container/default/web"), ObjectRef.of(c));
        assertEquals("Image/default/busybox", ObjectRef.of(c).sibling("Image", "busybox").toString());
    }
}
