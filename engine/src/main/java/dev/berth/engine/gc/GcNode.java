package dev.berth.engine.gc;

/**
 * One object in the garbage collection graph: a blob (by digest), a snapshot (by snapshotter and
 * key) or an image record (by name). Immutable.
 */
public record GcNode(Type type, String snapshotter, String name) {
    /** What kind of object a node is. */
    public enum Type { CONTENT, SNAPSHOT, IMAGE }

    public static GcNode content(String digest) {
        return new GcNode(Type.CONTENT, null, digest);
    }

    public static GcNode snapshot(String snapshotter, String key) {
        return new GcNode(Type.SNAPSHOT, snapshotter, key);
    }

    public static GcNode image(String name) {
        return new GcNode(Type.IMAGE, null, name);
    }
}
