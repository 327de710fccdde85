package dev.berth.engine.gc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * containerd's garbage collection labels, read from the labels of blobs, snapshots and images:
 *
 * <ul>
 *   <li>{@code containerd.io/gc.root} (any value): the object is a root;</li>
 *   <li>{@code containerd.io/gc.ref.content} and {@code containerd.io/gc.ref.content.<anything>}
 *       = digest: a reference to a blob (pull writes {@code .m.<i>} on indexes, {@code .config} and
 *       {@code .l.<i>} on manifests);</li>
 *   <li>{@code containerd.io/gc.ref.snapshot.<snapshotter>} and
 *       {@code containerd.io/gc.ref.snapshot.<snapshotter>/<anything>} = key: a reference to a
 *       snapshot (unpack writes it on the image config);</li>
 *   <li>{@code containerd.io/gc.ref.image} and {@code containerd.io/gc.ref.image.<anything>} = name:
 *       a reference to an image record;</li>
 *   <li>back-references {@code containerd.io/gc.bref.content[.x]}, {@code …bref.snapshot.<sn>[/x]},
 *       {@code …bref.image[.x]}: the named object references the labelled one.</li>
 * </ul>
 *
 * Conditional references ({@code containerd.io/gc.cond.*}) are not supported. Stateless and
 * thread-safe.
 */
public final class GcLabels {
    public static final String ROOT = "containerd.io/gc.root";
    public static final String EXPIRE = "containerd.io/gc.expire";
    public static final String REF_CONTENT = "containerd.io/gc.ref.content";
    public static final String REF_SNAPSHOT = "containerd.io/gc.ref.snapshot.";
    public static final String REF_IMAGE = "containerd.io/gc.ref.image";
    public static final String BREF_CONTENT = "containerd.io/gc.bref.content";
    public static final String BREF_SNAPSHOT = "containerd.io/gc.bref.snapshot.";
    public static final String BREF_IMAGE = "containerd.io/gc.bref.image";

    private GcLabels() {
    }

    /** Whether {@code labels} mark their object as a root. */
    public static boolean isRoot(Map<String, String> labels) {
        return labels.containsKey(ROOT);
    }

    /** The objects {@code labels} reference. */
    public static List<GcNode> references(Map<String, String> labels) {
        return parse(labels, REF_CONTENT, REF_SNAPSHOT, REF_IMAGE);
    }

    /** The objects that reference the labelled object ({@code gc.bref.*}). */
    public static List<GcNode> backReferences(Map<String, String> labels) {
        return parse(labels, BREF_CONTENT, BREF_SNAPSHOT, BREF_IMAGE);
    }

    private static List<GcNode> parse(Map<String, String> labels, String content, String snapshot, String image) {
        List<GcNode> out = new ArrayList<>();
        for (Map.Entry<String, String> e : labels.entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            if (v == null || v.isEmpty()) {
                continue;
            }
            if (exactOrDotted(k, content)) {
                out.add(GcNode.content(v));
            } else if (k.startsWith(snapshot) && k.length() > snapshot.length()) {
                String sn = k.substring(snapshot.length());
                int slash = sn.indexOf('/');
                out.add(GcNode.snapshot(slash < 0 ? sn : sn.substring(0, slash), v));
            } else if (exactOrDotted(k, image)) {
                out.add(GcNode.image(v));
            }
        }
        return out;
    }

    private static boolean exactOrDotted(String key, String prefix) {
        return key.equals(prefix) || (key.startsWith(prefix + ".") && key.length() > prefix.length() + 1);
    }
}
