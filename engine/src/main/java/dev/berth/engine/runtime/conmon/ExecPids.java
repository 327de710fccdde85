package dev.berth.engine.runtime.conmon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The pid files of a task's named execs: {@code runc exec --pid-file} writes
 * {@code <bundle>/exec-<name>.pid} once the process runs, and the runtime removes it when the exec
 * returns, so the files present name the execs running now. Stateless.
 */
final class ExecPids {
    private static final String PREFIX = "exec-";
    private static final String SUFFIX = ".pid";

    private ExecPids() {
    }

    static Path file(Path bundle, String name) {
        return bundle.resolve(PREFIX + name + SUFFIX);
    }

    /** pid → exec name, for the named execs running in the task of {@code bundle}. */
    static Map<Long, String> named(Path bundle) {
        Map<Long, String> out = new HashMap<>();
        try (var files = Files.list(bundle)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String n = f.getFileName().toString();
                if (n.startsWith(PREFIX) && n.endsWith(SUFFIX)) {
                    long pid = TaskFiles.readPid(f);
                    if (pid > 0) {
                        out.put(pid, n.substring(PREFIX.length(), n.length() - SUFFIX.length()));
                    }
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // the bundle went with the task: no names to add
        }
        return out;
    }
}
