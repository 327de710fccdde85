package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.runtime.logs.CriLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berth logs [-f] [--tail N] [-t] ID}: a container's output from its CRI log file. */
@Command(name = "logs", description = "Print a container's log (stdout to stdout, stderr to stderr).")
public final class LogsCommand extends EngineCommand {
    @Option(names = {"-f", "--follow"}, description = "Keep printing new lines until the task stops.")
    boolean follow;

    @Option(names = "--tail", defaultValue = "-1", paramLabel = "N", description = "Only the last N lines.")
    int tail;

    @Option(names = {"-t", "--timestamps"})
    boolean timestamps;

    @Parameters(paramLabel = "ID")
    String id;

    /**
     * With a daemon running, the root is the daemon's: the log file is read directly (it needs no
     * lock), and {@code -f} follows until interrupted, across restarts of the container.
     */
    @Override
    public Integer call() throws Exception {
        dev.berth.engine.config.Config c = config();
        if (!dev.berth.controller.api.ApiClient.present(Clients.socket(c))) {
            return super.call();
        }
        Path log = newestRevision(Path.of(c.get(dev.berth.engine.runtime.RuntimeSettings.LOG_DIR)).resolve(namespace), id);
        if (!Files.exists(log)) {
            throw dev.berth.engine.errdefs.BerthException.notFound("container %s/%s has no log at %s (yet)", namespace, id, log);
        }
        java.util.function.Consumer<CriLog.Entry> print = e -> {
            var w = e.stderr() ? err() : out();
            w.println(timestamps ? e.time() + " " + e.text() : e.text());
            w.flush();
        };
        if (!follow) {
            CriLog.tail(log, tail).forEach(print);
        } else {
            CriLog.follow(log, tail, print, () -> !Files.exists(log), Duration.ofMillis(200));
        }
        return 0;
    }

    /**
     * The log of Container (or runtime container) {@code id}: after a surge rollout a Container runs
     * as {@code <name>_<digest>} (RuntimeIds), whose log is the newest of its revisions' logs.
     */
    static Path newestRevision(Path dir, String id) {
        Path plain = dir.resolve(id + ".log");
        if (id.indexOf('_') >= 0 || !Files.isDirectory(dir)) {
            return plain;
        }
        Path newest = Files.exists(plain) ? plain : null;
        try (var s = Files.newDirectoryStream(dir, id + "_*.log")) {
            for (Path p : s) {
                String file = p.getFileName().toString();
                if (!dev.berth.reconcilers.container.RuntimeIds.ownedBy(file.substring(0, file.length() - 4), id)) {
                    continue; // a sandbox's <name>_pause, say
                }
                if (newest == null || Files.getLastModifiedTime(p).compareTo(Files.getLastModifiedTime(newest)) > 0) {
                    newest = p;
                }
            }
        } catch (java.io.IOException e) {
            return plain;
        }
        return newest == null ? plain : newest;
    }

    @Override
    protected int run(Engine engine) {
        TaskRuntime rt = engine.runtime();
        if (rt.find(namespace, id).isEmpty()) {
            // a Container's name: its task runs as the current revision's runtime id
            id = dev.berth.reconcilers.container.RuntimeIds.current(engine.containers(), namespace, id);
        }
        Path log = rt.logPath(namespace, id);
        Optional<TaskStatus> task = rt.find(namespace, id);
        if (task.isEmpty() && !Files.exists(log)) {
            throw dev.berth.engine.errdefs.BerthException.notFound("container %s/%s has neither a task nor a log", namespace, id);
        }
        java.util.function.Consumer<CriLog.Entry> print = e -> {
            var w = e.stderr() ? err() : out();
            w.println(timestamps ? e.time() + " " + e.text() : e.text());
            w.flush();
        };
        if (!follow) {
            CriLog.tail(log, tail).forEach(print);
            return 0;
        }
        CriLog.follow(log, tail, print,
                () -> rt.find(namespace, id).map(t -> !t.state().alive()).orElse(true), Duration.ofMillis(100));
        return 0;
    }
}
