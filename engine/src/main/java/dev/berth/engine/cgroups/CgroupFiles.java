package dev.berth.engine.cgroups;

import dev.berth.engine.errdefs.BerthException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Small helpers for reading cgroup interface files. Stateless. */
final class CgroupFiles {
    private CgroupFiles() {
    }

    /** The trimmed content, or null when the file does not exist. */
    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw BerthException.unavailable("cannot read cgroup file %s: %s", file, e.getMessage());
        }
    }

    /** A number; null when the file is missing, empty, or says "max". */
    /** The pids listed in a {@code cgroup.procs} file, in its order; empty when it does not exist. */
    static java.util.List<Long> pids(Path procs) {
        String s = read(procs);
        if (s == null || s.isEmpty()) {
            return java.util.List.of();
        }
        return s.lines().map(String::trim).filter(l -> !l.isEmpty()).map(Long::parseLong).toList();
    }

    static Long number(Path file) {
        String s = read(file);
        if (s == null || s.isEmpty() || s.equals("max")) {
            return null;
        }
        try {
            // the first word (cpu.max holds "quota period"); no regex: a resync reads these for every container
            return Long.parseLong(firstWord(s));
        } catch (NumberFormatException e) {
            throw BerthException.unavailable("cgroup file %s holds '%s', not a number", file, s);
        }
    }

    /** The value after {@code key} in a flat-keyed file such as memory.events or cpu.stat. */
    static Long keyed(Path file, String key) {
        String s = read(file);
        if (s == null) {
            return null;
        }
        for (String line : s.split("\n")) {
            String[] kv = WHITESPACE.split(line.trim());
            if (kv.length == 2 && kv[0].equals(key)) {
                return Long.parseLong(kv[1]);
            }
        }
        return null;
    }

    private static final java.util.regex.Pattern WHITESPACE = java.util.regex.Pattern.compile("\\s+");

    /** {@code s} up to its first whitespace ({@code s} is trimmed). */
    private static String firstWord(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return s.substring(0, i);
            }
        }
        return s;
    }

    /** Removes {@code dir}'s subdirectories depth-first, then {@code dir}; cgroup dirs hold only virtual files. */
    static void removeTree(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path c : children) {
                removeTree(c);
            }
        } catch (IOException e) {
            throw BerthException.unavailable("cannot list cgroup %s: %s", dir, e.getMessage());
        }
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a real cgroup dir is removed with rmdir even though it lists files; a fixture needs its files gone first
            if (!deleteFixtureFiles(dir)) {
                throw BerthException.precondition("cannot remove cgroup %s (does it still hold processes?): %s",
                        dir, e.getMessage());
            }
        }
    }

    private static boolean deleteFixtureFiles(Path dir) {
        if (dir.startsWith("/sys/")) {
            return false;
        }
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.delete(f);
            }
            Files.delete(dir);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
