package dev.berth.engine.runtime.conmon;

import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.runtime.TaskExit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Knows which tasks are live and records each one's exit exactly once: from conmon's exit file, or
 * 255 when the monitor died without writing one and the container is gone. Adopts the live tasks
 * an earlier Berth recorded, wakes waiters, and tells listeners. Thread-safe.
 */
final class ExitTracker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExitTracker.class);
    static final int LOST_EXIT = 255;

    private final TaskRecords records;
    private final OciRuntimeCli cli;
    private final Cgroups cgroups;
    private final Clock clock;
    private final Path exitsDir;
    private final Function<TaskRecords.Row, Path> bundleOf;
    private final Map<String, TaskRecords.Row> live = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<TaskExit>> exitFutures = new ConcurrentHashMap<>();
    private final List<Consumer<TaskExit>> listeners = new CopyOnWriteArrayList<>();
    /** Tasks whose exit one thread is recording now: the others leave it to that one. */
    private final java.util.Set<String> recording = ConcurrentHashMap.newKeySet();
    private final ExitMonitor monitor;
    /** Per task key, the monitor process (pid and start time) whose command line was found to name the bundle. */
    private final Map<String, MonitorProcess> verifiedMonitors = new ConcurrentHashMap<>();

    /** One process for good: a pid with its start time in clock ticks. */
    private record MonitorProcess(long pid, long startTicks) {
    }
    /** Interval of the full scan of live tasks. */
    static final long SCAN_MILLIS = 10_000;

    ExitTracker(TaskRecords records, OciRuntimeCli cli, Cgroups cgroups, Clock clock, Path exitsDir,
            Function<TaskRecords.Row, Path> bundleOf) {
        this.records = records;
        this.cli = cli;
        this.cgroups = cgroups;
        this.clock = clock;
        this.exitsDir = exitsDir;
        this.bundleOf = bundleOf;
        // exit files arrive through inotify at once; the scan is the safety net for lost events and for
        // a monitor that died without writing one, so it need not cost CPU every second
        this.monitor = new ExitMonitor(exitsDir, this::onExitFile, this::scan, SCAN_MILLIS);
    }

    Path exitFile(String ns, String id) {
        return exitsDir.resolve(ns).resolve(id);
    }

    /** The namespace's exit directory, created and watched. */
    Path watch(String ns) {
        try {
            return monitor.watch(ns);
        } catch (IOException e) {
            throw BerthException.unavailable("cannot watch %s: %s", exitsDir.resolve(ns), e.getMessage());
        }
    }

    /** Starts watching a task whose monitor runs. */
    void track(TaskRecords.Row row) {
        live.put(row.key(), row);
    }

    /** The live tasks (monitor running, no exit recorded), sorted by namespace and id. */
    List<TaskRecords.Row> live() {
        List<TaskRecords.Row> rows = new ArrayList<>(live.values());
        rows.sort(java.util.Comparator.comparing(TaskRecords.Row::namespace).thenComparing(TaskRecords.Row::id));
        return rows;
    }

    /** Forgets a task (deleted). */
    void forget(String key) {
        live.remove(key);
        verifiedMonitors.remove(key);
        exitFutures.remove(key);
    }

    /** Adopts every recorded task without an exit, records the exits that happened meanwhile, and starts watching. */
    void adoptAndStart() {
        for (TaskRecords.Row row : records.pending()) {
            watch(row.namespace());
            if (row.monitorPid() == 0) {
                // an earlier Berth stopped between recording the task and learning conmon's pid
                Path bundle = bundleOf.apply(row);
                long mon = TaskFiles.readPid(bundle.resolve("conmon.pid"));
                if (mon > 0) {
                    records.setPids(row.namespace(), row.id(), TaskFiles.readPid(bundle.resolve("init.pid")), mon);
                    row = records.get(row.namespace(), row.id()).orElseThrow();
                } else if (cli.state(row.namespace(), row.id()).isEmpty()) {
                    // conmon never started: the create failed with its caller gone, nothing runs
                    LOG.warn("task {} was being created when Berth stopped and never started; removing its record",
                            row.key());
                    records.delete(row.namespace(), row.id());
                    continue;
                }
            }
            live.put(row.key(), row);
            LOG.debug("adopted task {} (monitor pid {})", row.key(), row.monitorPid());
        }
        warnAboutOrphans();
        scan();
        monitor.start();
    }

    /** Containers in Berth's runtime roots without a record (a lost database) are reported, never adopted blind. */
    private void warnAboutOrphans() {
        Path roots = cli.root("x").getParent();
        if (!Files.isDirectory(roots)) {
            return;
        }
        try (var namespaces = Files.list(roots)) {
            for (Path ns : namespaces.toList()) {
                try (var ids = Files.list(ns)) {
                    for (Path id : ids.toList()) {
                        String n = ns.getFileName().toString();
                        String i = id.getFileName().toString();
                        if (records.get(n, i).isEmpty()) {
                            LOG.warn("container {}/{} is in {}'s state without a Berth record; it is not managed. "
                                    + "Remove it with: {} --root {} delete --force {}", n, i, cli.binary(), cli.binary(),
                                    ns, i);
                        }
                    }
                }
            }
        } catch (IOException e) {
            LOG.debug("listing {}: {}", roots, e.getMessage());
        }
    }

    private void onExitFile(String ns, String id) {
        TaskRecords.Row row = live.get(ns + "/" + id);
        if (row != null) {
            finishIfExited(row);
        }
    }

    /** Checks every live task: exit file written, or monitor gone without one. */
    private void scan() {
        for (TaskRecords.Row row : List.copyOf(live.values())) {
            try {
                finishIfExited(row);
            } catch (RuntimeException e) {
                LOG.warn("checking task {}: {}", row.key(), e.getMessage());
            }
        }
    }

    /** Records the exit when conmon wrote it, or 255 when conmon died and the container is gone too. */
    void finishIfExited(TaskRecords.Row row) {
        TaskFiles.Exit exit = TaskFiles.readExit(exitFile(row.namespace(), row.id()));
        if (exit != null) {
            recordExit(row, exit.code(), exit.at());
            return;
        }
        if (row.monitorPid() == 0 || monitors(row)) {
            return;
        }
        exit = TaskFiles.readExit(exitFile(row.namespace(), row.id()));
        if (exit != null) {
            recordExit(row, exit.code(), exit.at());
            return;
        }
        Optional<OciRuntimeCli.State> st = cli.state(row.namespace(), row.id());
        if (st.isEmpty() || !st.get().state().alive()) {
            LOG.warn("task {}: monitor {} is gone without an exit file; recording exit {}", row.key(),
                    row.monitorPid(), LOST_EXIT);
            recordExit(row, LOST_EXIT, clock.instant());
            return;
        }
        unmonitored(row, st.get());
    }

    /**
     * A container alive with its monitor gone (killed, or dead of a broken sync pipe when Berth was
     * killed mid-create): nothing would ever report its exit or read its output, and a started one
     * would look Running forever. A created one was never started: its record goes first, then the
     * runtime's container, so the caller creates it afresh. A started one is killed and its exit
     * recorded as 255, so its restart policy restarts it under a new monitor. Each step can be cut
     * and redone: what is left is either this state again or one the other branches finish.
     */
    private void unmonitored(TaskRecords.Row row, OciRuntimeCli.State st) {
        if (st.state() == dev.berth.engine.runtime.TaskState.CREATED) {
            LOG.warn("task {} was created but its monitor (conmon pid {}) is gone and it was never started; "
                    + "removing it so that it is created again", row.key(), row.monitorPid());
            live.remove(row.key());
            records.delete(row.namespace(), row.id());
            cli.delete(row.namespace(), row.id(), true);
            return;
        }
        LOG.warn("task {} is {} (pid {}) but its monitor (conmon pid {}) is gone, so its exit and output would "
                + "be lost; killing it and recording exit {} (its restart policy restarts it under a new monitor)",
                row.key(), st.state(), st.pid(), row.monitorPid(), LOST_EXIT);
        cli.delete(row.namespace(), row.id(), true);
        recordExit(row, LOST_EXIT, clock.instant());
    }

    /**
     * Whether the task's monitor pid is a live conmon for this very task (its command line names the
     * bundle). The command line is read once per monitor process: a pid with the start time it had
     * when its command line was checked is that same process (a reused pid starts at another time),
     * so later checks (every exit scan and every status read) read /proc/PID/stat alone.
     */
    private boolean monitors(TaskRecords.Row row) {
        long started = dev.berth.engine.sys.Processes.startTicks(row.monitorPid(), "conmon");
        if (started < 0) {
            verifiedMonitors.remove(row.key());
            return false;
        }
        MonitorProcess seen = new MonitorProcess(row.monitorPid(), started);
        if (seen.equals(verifiedMonitors.get(row.key()))) {
            return true;
        }
        try {
            byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(row.monitorPid()), "cmdline"));
            String bundle = bundleOf.apply(row).toString();
            for (String arg : new String(cmdline, java.nio.charset.StandardCharsets.UTF_8).split("\0")) {
                if (arg.equals(bundle)) {
                    verifiedMonitors.put(row.key(), seen);
                    return true;
                }
            }
            LOG.warn("task {}: pid {} is a conmon for another task (its bundle is not {})", row.key(),
                    row.monitorPid(), bundle);
            return false;
        } catch (IOException e) {
            return TaskFiles.alive(row.monitorPid(), "conmon");
        }
    }

    private void recordExit(TaskRecords.Row row, int code, Instant at) {
        // the exit monitor, a waiter and a status read often see one exit file at the same moment: one
        // of them records it (the others find the exit recorded, or wait on its future)
        if (!recording.add(row.key())) {
            return;
        }
        try {
            if (records.get(row.namespace(), row.id()).map(r -> r.exitCode() != null).orElse(true)) {
                live.remove(row.key());
                return;
            }
            record(row, code, at);
        } finally {
            recording.remove(row.key());
        }
    }

    private void record(TaskRecords.Row row, int code, Instant at) {
        boolean oom = Files.exists(bundleOf.apply(row).resolve("oom"));
        if (!oom) {
            try {
                if (cgroups.exists(row.cgroupPath())) {
                    Long kills = cgroups.stats(row.cgroupPath()).oomKills();
                    oom = kills != null && kills > 0;
                }
            } catch (RuntimeException e) {
                LOG.debug("oom counter of {}: {}", row.key(), e.getMessage());
            }
        }
        boolean first = records.setExit(row.namespace(), row.id(), code, at, oom);
        live.remove(row.key());
        verifiedMonitors.remove(row.key());
        TaskExit event = new TaskExit(row.namespace(), row.id(), code, at, oom);
        CompletableFuture<TaskExit> f = exitFutures.remove(row.key());
        if (f != null) {
            f.complete(event);
        }
        if (first) {
            for (Consumer<TaskExit> l : listeners) {
                try {
                    l.accept(event);
                } catch (RuntimeException e) {
                    LOG.warn("exit listener failed for {}", row.key(), e);
                }
            }
        }
    }

    AutoCloseable onExit(Consumer<TaskExit> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /**
     * The task's record once its exit is recorded within {@code timeout}, else null. With
     * {@code checkMonitor} a dead monitor counts as an exit (255); without, only the exit file does.
     */
    TaskRecords.Row waitForExit(String ns, String id, Duration timeout, boolean checkMonitor) {
        String k = ns + "/" + id;
        CompletableFuture<TaskExit> f = exitFutures.computeIfAbsent(k, x -> new CompletableFuture<>());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            TaskRecords.Row r = records.get(ns, id)
                    .orElseThrow(() -> BerthException.notFound("task %s/%s does not exist", ns, id));
            if (r.exitCode() != null) {
                exitFutures.remove(k, f);
                return r;
            }
            if (checkMonitor) {
                finishIfExited(r);
            } else {
                TaskFiles.Exit e = TaskFiles.readExit(exitFile(ns, id));
                if (e != null) {
                    recordExit(r, e.code(), e.at());
                    continue;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            try {
                f.get(Math.min(left, TimeUnit.MILLISECONDS.toNanos(250)), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // loop: re-check the files (covers an event the watcher has not delivered yet)
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BerthException(ErrorCategory.DEADLINE_EXCEEDED, "interrupted waiting for task " + k);
            }
        }
    }

    @Override
    public void close() {
        monitor.close();
    }
}
