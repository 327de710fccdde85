package dev.berth.crd;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Objects;

/**
 * Identity of a Berth object: kind, namespace and name. Used as work-queue key, in
 * {@code waitingFor} results and in messages ({@code Container/default/web}). Immutable.
 */
public record ObjectRef(String kind, String namespace, String name) implements Comparable<ObjectRef> {
    public ObjectRef {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        if (namespace == null || namespace.isEmpty()) {
            namespace = Berth.DEFAULT_NAMESPACE;
        }
    }

    /** The reference of an object; a missing namespace means {@link Berth#DEFAULT_NAMESPACE}. */
    public static ObjectRef of(HasMetadata object) {
        return new ObjectRef(object.getKind(), object.getMetadata().getNamespace(),
                object.getMetadata().getName());
    }

    /** Parses {@code Kind/namespace/name} or {@code Kind/name} (default namespace). */
    public static ObjectRef parse(String text) {
        String[] p = text.split("/", -1);
        if (p.length == 3) {
            return new ObjectRef(p[0], p[1], p[2]);
        }
        if (p.length == 2) {
            return new ObjectRef(p[0], null, p[1]);
        }
        throw new IllegalArgumentException("not an object reference (Kind/namespace/name): " + text);
    }

    /** Another object of {@code kind} with {@code name} in this object's namespace. */
    public ObjectRef sibling(String kind, String name) {
        return new ObjectRef(kind, namespace, name);
    }

    @Override
    public int compareTo(ObjectRef o) {
        int c = kind.compareTo(o.kind);
        if (c == 0) {
            c = namespace.compareTo(o.namespace);
        }
        return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return kind + "/" + namespace + "/" + name;
    }
}
