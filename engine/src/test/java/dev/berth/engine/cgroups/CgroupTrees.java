package dev.berth.engine.cgroups;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes the files of fake cgroup trees for the v1/v2 reader tests. Stateless. */
final class CgroupTrees {
    private CgroupTrees() {
    }

    /** Writes {@code content} and a newline, as the kernel ends its files, at {@code root/rel}. */
    static void write(Path root, String rel, String content) throws IOException {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content + "\n");
    }
}
