package dev.berth.engine.metadata;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Exclusive ownership of a Berth root directory. One process owns {@code <root>} at a time (the
 * daemon, or a CLI command running the engine in-process when no daemon runs); the holder's pid is
 * written into {@code <root>/berth.lock} so that a second owner's error can name it. The OS drops
 * the lock when the process dies, so a crash never leaves the root locked. Not reentrant.
 */
public final class RootLock implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private RootLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock or fails with {@link ErrorCategory#LOCKED} naming the holder. */
    public static RootLock acquire(Path root) {
        Path file = root.resolve("berth.lock");
        FileChannel ch = null;
        try {
            Files.createDirectories(root);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                String holder = Files.readString(file, StandardCharsets.UTF_8).trim();
                ch.close();
                throw new BerthException(ErrorCategory.LOCKED, "Berth root " + root + " is in use by process "
                        + (holder.isEmpty() ? "(unknown)" : holder)
                        + "; stop it, or talk to the daemon instead of opening the store directly");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(true);
            return new RootLock(file, ch, l);
        } catch (IOException e) {
            try {
                if (ch != null) {
                    ch.close();
                }
            } catch (IOException ignored) {
                // already failing
            }
            throw new BerthException(ErrorCategory.UNAVAILABLE, "cannot lock Berth root " + root + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw BerthException.internal("releasing " + file, e);
        }
    }
}
