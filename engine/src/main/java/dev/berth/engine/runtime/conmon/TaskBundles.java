package dev.berth.engine.runtime.conmon;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.runtime.Signals;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import dev.berth.engine.runtime.spec.SpecGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bundle-file plumbing of {@link ConmonRuntime}, apart from its task lifecycle: where a task's
 * bundle is ({@code <state>/tasks/<namespace>/<id>}, the one place that path is computed; the
 * containers service asks {@code TaskRuntime.bundle} for it), writing {@code config.json} into it,
 * reading the spec back (stop signal, exec), the short-lived process and resources files that
 * {@code runc exec} and {@code runc update} read, and removing what a task left. The {@code rootfs}
 * directory (maybe a mount) belongs to whoever made it and is never touched here. Stateless apart
 * from the tasks directory; thread-safe.
 */
final class TaskBundles {
    private static final Logger LOG = LoggerFactory.getLogger(TaskBundles.class);

    private final Path tasksDir;

    TaskBundles(Path state) {
        this.tasksDir = state.resolve("tasks");
    }

    /** The bundle directory of task {@code ns/id}. */
    Path path(String ns, String id) {
        return tasksDir.resolve(ns).resolve(id);
    }

    /**
     * Makes the bundle of {@code ns/id} hold {@code spec} as {@code config.json}, with nothing a
     * previous task left there. The spec's root must be an existing directory.
     */
    Path prepare(String ns, String id, RuntimeSpec spec) {
        Path bundle = path(ns, id);
        Path rootfs = bundle.resolve(spec.root().path());
        if (!Files.isDirectory(rootfs)) {
            throw BerthException.invalid("root filesystem %s of task %s/%s is not a directory", rootfs, ns, id);
        }
        try {
            Files.createDirectories(bundle);
            TaskFiles.clearBundleFiles(bundle);
            Files.write(bundle.resolve("config.json"), spec.toJson());
        } catch (IOException e) {
            throw BerthException.unavailable("cannot prepare bundle %s: %s", bundle, e.getMessage());
        }
        return bundle;
    }

    /** The spec the task was created from. */
    static RuntimeSpec spec(Path bundle) throws IOException {
        return RuntimeSpec.fromJson(Files.readAllBytes(bundle.resolve("config.json")), "config.json");
    }

    /** The image's stop signal recorded in the spec's annotations; SIGTERM when none or unreadable. */
    static int stopSignal(Path bundle) {
        try {
            RuntimeSpec spec = spec(bundle);
            String s = spec.annotations() == null ? null : spec.annotations().get(SpecGenerator.STOP_SIGNAL_ANNOTATION);
            return s == null || s.isBlank() ? Signals.SIGTERM : Signals.parse(s);
        } catch (IOException | BerthException e) {
            return Signals.SIGTERM;
        }
    }

    /**
     * Writes {@code value} as JSON to a fresh file {@code <prefix>-<uuid>.json} in the bundle, runs
     * {@code use} with it and removes it again (a crash leaves it to {@link #remove}).
     */
    static <T> T withJsonFile(Path bundle, String prefix, Object value, Function<Path, T> use) throws IOException {
        Path file = bundle.resolve(prefix + "-" + UUID.randomUUID() + ".json");
        try {
            Files.write(file, OciJson.write(value));
            return use.apply(file);
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.debug("removing {}", file, e);
            }
        }
    }

    /** Removes the bundle's task files, and the bundle itself when nothing else is left in it. */
    static void remove(Path bundle) throws IOException {
        TaskFiles.removeBundle(bundle);
    }
}
