package dev.berth.crd.codec;

import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;

/** Field paths in kubectl's form: {@code spec.env[0].name}. Stateless. */
final class Paths {
    private Paths() {
    }

    static String child(String parent, String field) {
        return parent.isEmpty() ? field : parent + "." + field;
    }

    static String index(String parent, int i) {
        return parent + "[" + i + "]";
    }

    /** The path of a Jackson exception, without the root object. */
    static String of(List<JacksonException.Reference> refs) {
        String path = "";
        for (JacksonException.Reference r : refs) {
            if (r.getPropertyName() != null) {
                path = child(path, r.getPropertyName());
            } else if (r.getIndex() >= 0) {
                path = index(path, r.getIndex());
            }
        }
        return path;
    }

    static int lineOf(Map<String, Integer> lines, String path, int fallback) {
        String p = path;
        while (!p.isEmpty()) {
            Integer l = lines.get(p);
            if (l != null) {
                return l;
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            p = cut < 0 ? "" : p.substring(0, cut);
        }
        return fallback;
    }
}
