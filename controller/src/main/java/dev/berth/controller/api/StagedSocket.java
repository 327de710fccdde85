package dev.berth.controller.api;

import dev.berth.engine.fs.FileTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Creates a unix socket with its final mode (0660) from the first moment it exists at its path: the
 * server binds in a private directory (0700) next to the final path, the socket gets its mode there,
 * and rename(2), which is atomic, puts it in place. A chmod after binding in place would leave a
 * moment where the mode follows the umask. Used by every socket Berth serves (local API, gRPC).
 * Stateless.
 */
public final class StagedSocket {
    /** Binds a server on the path it is given; returns once the socket file exists. */
    @FunctionalInterface
    public interface Binder {
        void bind(Path staged) throws Exception;
    }

    private StagedSocket() {
    }

    /**
     * Removes a stale {@code socket}, calls {@code binder} on a staged path, sets mode 0660 and renames
     * the socket to {@code socket}. The private directory is gone afterwards, also on failure.
     */
    public static void bind(Path socket, Binder binder) throws Exception {
        Path parent = socket.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Files.deleteIfExists(socket);
        Path dir = Files.createTempDirectory(parent, ".bind-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            Path staged = dir.resolve("s");
            binder.bind(staged);
            Files.setPosixFilePermissions(staged, PosixFilePermissions.fromString("rw-rw----"));
            Files.move(staged, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            FileTree.deleteRecursively(dir);
        }
    }
}
