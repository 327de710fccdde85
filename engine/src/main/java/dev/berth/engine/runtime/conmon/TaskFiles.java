package dev.berth.engine.runtime.conmon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;

/** The files of one task outside the database: bundle files, the exit file, pid files. Stateless. */
final class TaskFiles {
    /**
     * Files Berth, conmon and the runtime leave in a bundle ({@code sync.fifo}: by Berth before
     * 2026-12-07). {@code rootfs} is never touched here.
     */
    static final List<String> BUNDLE_FILES = List.of("config.json", "init.pid", "conmon.pid", "log.json",
            "conmon.out", "oom", "attach", "ctl", "winsz", "exit", "sync.fifo");

    private TaskFiles() {
    }

    /** The exit status conmon wrote, with the file's time, or null when there is no (complete) file yet. */
    record Exit(int code, Instant at) {
    }

    static Exit readExit(Path exitFile) {
        // the usual answer (no exit yet) without the cost of an exception
        if (!exitFile.toFile().exists()) {
            return null;
        }
        try {
            String s = Files.readString(exitFile, StandardCharsets.UTF_8).trim();
            if (s.isEmpty()) {
                return null;
            }
            FileTime t = Files.getLastModifiedTime(exitFile);
            int code = Integer.parseInt(s);
            // conmon writes -1 when it could not learn the status; containerd reports 255 for a lost exit
            return new Exit(code < 0 ? 255 : code, t.toInstant());
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    /** A number from a pid file, 0 when missing or unreadable. */
    static long readPid(Path file) {
        try {
            return Long.parseLong(Files.readString(file, StandardCharsets.UTF_8).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /**
     * Whether {@code pid} is a live (not zombie) process named {@code comm}; guards against pid reuse
     * after the monitor died.
     */
    static boolean alive(long pid, String comm) {
        return dev.berth.engine.sys.Processes.alive(pid, comm);
    }

    /** Removes the files a previous task left in the bundle; {@code rootfs} (maybe a mount) is left alone. */
    static void clearBundleFiles(Path bundle) throws IOException {
        for (String f : BUNDLE_FILES) {
            Files.deleteIfExists(bundle.resolve(f));
        }
    }

    /** Removes the bundle's files, then {@code rootfs} and the bundle itself when they are empty directories. */
    static void removeBundle(Path bundle) throws IOException {
        clearBundleFiles(bundle);
        try (var s = Files.list(bundle)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (n.startsWith("exec-") || n.startsWith("update-")) {
                    // a terminal exec's own directory (ConmonTerminalExec) goes with what is in it
                    dev.berth.engine.fs.FileTree.deleteRecursively(p);
                }
            }
        } catch (NoSuchFileException e) {
            return;
        }
        deleteIfEmptyDir(bundle.resolve("rootfs"));
        deleteIfEmptyDir(bundle);
    }

    private static void deleteIfEmptyDir(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            try (var s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    return;
                }
            }
            Files.deleteIfExists(dir);
        }
    }
}
