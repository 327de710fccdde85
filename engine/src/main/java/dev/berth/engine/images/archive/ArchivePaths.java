package dev.berth.engine.images.archive;

import dev.berth.engine.errdefs.BerthException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Names inside image archives: cleaned to a canonical relative form ({@code ./a//b/} →
 * {@code a/b}); absolute names and names that climb out with {@code ..} are refused, so nothing an
 * archive says can reach outside it. Stateless and thread-safe.
 */
final class ArchivePaths {
    private ArchivePaths() {
    }

    /** The cleaned relative name, or INVALID_ARGUMENT for an absolute or escaping one. */
    static String clean(String name) {
        if (name == null || name.isEmpty()) {
            throw BerthException.invalid("archive has an entry with an empty name");
        }
        if (name.startsWith("/")) {
            throw BerthException.invalid("archive entry \"%s\" has an absolute path; image archives hold relative "
                    + "names only (refusing it)", name);
        }
        if (name.indexOf('\0') >= 0) {
            throw BerthException.invalid("archive entry \"%s\" has a NUL byte in its name", name.replace('\0', '?'));
        }
        Deque<String> parts = new ArrayDeque<>();
        for (String p : name.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                throw BerthException.invalid("archive entry \"%s\" climbs out of the archive with \"..\" (refusing it)", name);
            }
            parts.addLast(p);
        }
        return String.join("/", parts);
    }

    /** Resolves a symlink {@code target} written in entry {@code from}, staying inside the archive. */
    static String resolveLink(String from, String target) {
        if (target.startsWith("/")) {
            throw BerthException.invalid("archive symlink \"%s\" points to the absolute path \"%s\" (refusing it)", from, target);
        }
        int slash = from.lastIndexOf('/');
        String base = slash < 0 ? "" : from.substring(0, slash);
        Deque<String> parts = new ArrayDeque<>();
        if (!base.isEmpty()) {
            for (String p : base.split("/")) {
                parts.addLast(p);
            }
        }
        for (String p : target.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                if (parts.isEmpty()) {
                    throw BerthException.invalid("archive symlink \"%s\" -> \"%s\" points outside the archive (refusing it)",
                            from, target);
                }
                parts.removeLast();
            } else {
                parts.addLast(p);
            }
        }
        return String.join("/", parts);
    }
}
