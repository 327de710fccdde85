package dev.berth.controller.store;

/** Identity of a spec object: kind, namespace and name, printed as {@code Kind/namespace/name}. */
public record ObjectKey(String kind, String namespace, String name) implements Comparable<ObjectKey> {
    public static ObjectKey parse(String s) {
        String[] p = s.split("/", 3);
        if (p.length != 3) {
            throw new IllegalArgumentException("\"" + s + "\" is not Kind/namespace/name");
        }
        return new ObjectKey(p[0], p[1], p[2]);
    }

    @Override
    public String toString() {
        return kind + "/" + namespace + "/" + name;
    }

    @Override
    public int compareTo(ObjectKey o) {
        return toString().compareTo(o.toString());
    }
}
