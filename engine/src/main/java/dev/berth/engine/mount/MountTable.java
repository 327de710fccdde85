package dev.berth.engine.mount;

import dev.berth.engine.errdefs.BerthException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Reads the kernel's mount table ({@code /proc/self/mountinfo}) to find what is mounted, and cleans
 * up mounts a crashed process left under a directory. Stateless and thread-safe.
 */
public final class MountTable {
    private static final Path SELF = Path.of("/proc/self/mountinfo");

    private MountTable() {
    }

    /** The current mounts of this process, in kernel order (parents before children). */
    public static List<MountInfo> read() {
        try {
            return parse(Files.readString(SELF, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw BerthException.unavailable("cannot read %s: %s", SELF, e.getMessage());
        }
    }

    /** Parses mountinfo text (see proc(5)). */
    public static List<MountInfo> parse(String text) {
        List<MountInfo> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(" ");
            int dash = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    dash = i;
                    break;
                }
            }
            if (dash < 0 || f.length < dash + 3) {
                throw BerthException.invalid("malformed mountinfo line: %s", line);
            }
            out.add(new MountInfo(Integer.parseInt(f[0]), Integer.parseInt(f[1]), unescape(f[3]),
                    Path.of(unescape(f[4])), f[5], f[dash + 1], unescape(f[dash + 2]),
                    dash + 3 < f.length ? f[dash + 3] : ""));
        }
        return out;
    }

    /** Mounts at or below {@code dir}, deepest (most recently stacked) first. */
    public static List<MountInfo> under(Path dir) {
        List<MountInfo> all = new ArrayList<>(read());
        List<MountInfo> hit = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i).isAtOrUnder(dir)) {
                hit.add(all.get(i));
            }
        }
        hit.sort(Comparator.comparingInt((MountInfo m) -> m.mountPoint().getNameCount()).reversed());
        return hit;
    }

    /**
     * Whether {@code dir} is a mount point now. A directory on another device than its parent is one
     * (an overlay or tmpfs mount: decided by two stat calls); otherwise the mount table decides (a bind
     * mount from the same file system, or no mount).
     */
    public static boolean isMountPoint(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent != null) {
            try {
                Object dev = Files.getAttribute(abs, "unix:dev", LinkOption.NOFOLLOW_LINKS);
                if (!dev.equals(Files.getAttribute(parent, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
                    return true;
                }
            } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
                // missing, or no unix attributes: the mount table answers
            }
        }
        return read().stream().anyMatch(m -> m.mountPoint().equals(abs));
    }

    /**
     * Unmounts every mount strictly below {@code dir} (after a crash, snapshot or rootfs mounts
     * that nobody will unmount), deepest first; returns the mount points it cleaned. Idempotent.
     */
    public static List<Path> cleanUnder(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        List<Path> cleaned = new ArrayList<>();
        for (MountInfo m : under(abs)) {
            if (!m.mountPoint().equals(abs) && !cleaned.contains(m.mountPoint())) {
                Unmount.unmountAll(m.mountPoint());
                cleaned.add(m.mountPoint());
            }
        }
        return cleaned;
    }

    /** Decodes the octal escapes (\040 for space, \011, \012, \134) the kernel writes in paths. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] raw = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '\\' && i + 3 < raw.length && isOctal(raw[i + 1]) && isOctal(raw[i + 2])
                    && isOctal(raw[i + 3])) {
                b.write((raw[i + 1] - '0') * 64 + (raw[i + 2] - '0') * 8 + (raw[i + 3] - '0'));
                i += 3;
            } else {
                b.write(raw[i]);
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static boolean isOctal(byte c) {
        return c >= '0' && c <= '7';
    }
}
