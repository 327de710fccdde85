package dev.berth.engine.runtime.spec;

import dev.berth.engine.errdefs.BerthException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Resolves a path inside a container root the way the container would see it: symlinks (absolute or
 * relative) are followed relative to the root, never out of it. Stateless.
 */
final class RootfsFiles {
    private static final int MAX_LINKS = 40;

    private RootfsFiles() {
    }

    /** The host path of {@code inContainer} under {@code root}; the result is always below {@code root}. */
    static Path resolve(Path root, String inContainer) {
        Path current = root;
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>();
        for (String part : inContainer.split("/")) {
            if (!part.isEmpty()) {
                todo.add(part);
            }
        }
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.poll();
            if (part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                current = current.equals(root) ? root : current.getParent();
                continue;
            }
            Path next = current.resolve(part);
            if (Files.isSymbolicLink(next)) {
                if (++links > MAX_LINKS) {
                    throw BerthException.invalid("too many symbolic links resolving %s in %s", inContainer, root);
                }
                String target;
                try {
                    target = Files.readSymbolicLink(next).toString();
                } catch (IOException e) {
                    throw BerthException.unavailable("cannot read link %s: %s", next, e.getMessage());
                }
                java.util.ArrayDeque<String> rest = new java.util.ArrayDeque<>();
                for (String p : target.split("/")) {
                    if (!p.isEmpty()) {
                        rest.add(p);
                    }
                }
                rest.addAll(todo);
                todo = rest;
                if (target.startsWith("/")) {
                    current = root;
                }
                continue;
            }
            current = next;
        }
        return current;
    }

    /** The file's text, or null when it does not exist (or is not a regular file). */
    static String readIfExists(Path root, String inContainer) {
        Path p = resolve(root, inContainer);
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw BerthException.unavailable("cannot read %s in container root %s: %s", inContainer, root, e.getMessage());
        }
    }
}
