package dev.berth.engine.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Builds a minimal root filesystem for real containers: Debian's static busybox with applet
 * symlinks, an /etc/passwd and /etc/group with a few users to resolve. Shared by the runtime ITs.
 */
public final class BusyboxRootfs {
    /** Debian's static busybox; {@code -Dberth.test.busybox} names another copy (inside PackageOnSystemdIT's machine). */
    public static final Path BUSYBOX = Path.of(System.getProperty("berth.test.busybox", "/bin/busybox"));
    private static final List<String> APPLETS = List.of("sh", "echo", "sleep", "cat", "id", "env", "pwd",
            "hostname", "true", "false", "kill", "ls", "dd", "head", "tail", "yes", "seq", "ps", "mkdir", "touch",
            "grep", "wc", "trap", "tr", "sed", "printf", "test");

    private BusyboxRootfs() {
    }

    /** Creates the rootfs in {@code dir} (which may exist) and returns it. */
    public static Path create(Path dir) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.copy(BUSYBOX, bin.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(bin.resolve("busybox"), PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String a : APPLETS) {
            Path l = bin.resolve(a);
            if (!Files.exists(l, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(l, Path.of("busybox"));
            }
        }
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.writeString(etc.resolve("passwd"), String.join("\n",
                "root:x:0:0:root:/root:/bin/sh",
                "daemon:x:1:1:daemon:/usr/sbin:/bin/false",
                "app:x:1000:1000:App User:/home/app:/bin/sh",
                "") );
        Files.writeString(etc.resolve("group"), String.join("\n",
                "root:x:0:",
                "daemon:x:1:",
                "wheel:x:10:app",
                "app:x:1000:",
                "audio:x:29:app,daemon",
                ""));
        Files.createDirectories(dir.resolve("tmp"));
        Files.setPosixFilePermissions(dir.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.createDirectories(dir.resolve("home/app"));
        Files.createDirectories(dir.resolve("root"));
        for (String d : List.of("proc", "sys", "dev", "run")) {
            Files.createDirectories(dir.resolve(d));
        }
        return dir;
    }
}
