package dev.berth.controller.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.controller.DaemonProcess;
import dev.berth.engine.Engine;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.sys.FdKeeper;
import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.RootOnly;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task's stdin across a SIGKILL of the Berth daemon, driven by Debian's real {@code ctr}: what the
 * client writes before and after the restart both reach the task, and closing the client's end
 * afterwards is still the task's end of file (exit 0); a task whose client had already gone keeps
 * running through a restart with nothing left to copy. The daemon runs as a process of its own
 * ({@link DaemonProcess}) so it can be killed.
 */
@RootOnly("needs root for runc, overlay mounts and cgroups")
class CtrStdinAcrossRestartIT {
    @TempDir
    Path tmp;
    DaemonProcess daemon;
    Path sock;
    final String parent = "/berth-stdinrs-" + UUID.randomUUID().toString().substring(0, 8);
    final List<Process> started = new ArrayList<>();
    final List<FdKeeper.Kept> keepers = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ctr")), "needs Debian's containerd package (ctr)");
        sock = tmp.resolve("state/containerd.sock");
        daemon = DaemonProcess.create(tmp, parent, "[grpc]\naddress = \"" + sock + "\"\n");
        daemon.importBusybox();
        daemon.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        HostCleanup.under(tmp).runcRoot("runc", tmp.resolve("state/runc"), true).cgroup(parent).then(() -> {
            started.forEach(Process::destroyForcibly);
            if (daemon != null) {
                // keepers the running daemon has not recorded (yet) would outlive it
                List<ProcessHandle> unrecorded = daemon.process() == null ? List.of() : keeperProcesses(daemon.process().pid());
                daemon.kill();
                unrecorded.forEach(ProcessHandle::destroyForcibly);
                try (Engine e = daemon.openEngine()) {
                    for (TaskStatus t : e.runtime().list(null)) {
                        e.runtime().delete(t.namespace(), t.id(), true);
                    }
                }
            }
            keepers.forEach(FdKeeper::end);
        }).close();
    }

    private List<String> ctr(String... args) {
        List<String> argv = new ArrayList<>(List.of("ctr", "--address", sock.toString(), "--connect-timeout", "30s"));
        argv.addAll(List.of(args));
        return argv;
    }

    private String ok(String... args) throws Exception {
        Process p = new ProcessBuilder(ctr(args)).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), "ctr " + String.join(" ", args) + ":\n" + out);
        return out;
    }

    private String log(String id) throws IOException {
        Path log = tmp.resolve("logs/default/" + id + ".log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private Path bundle(String id) {
        return tmp.resolve("state/tasks/default/" + id);
    }

    private Optional<FdKeeper.Kept> keeper(String id) throws IOException {
        Path f = bundle(id).resolve("stdin.keeper");
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        Optional<FdKeeper.Kept> k = FdKeeper.Kept.parse(Files.readAllLines(f).get(0));
        k.ifPresent(keepers::add);
        return k;
    }

    /** The daemon's child processes that are keepers ({@code sleep infinity}). */
    private static List<ProcessHandle> keeperProcesses(long daemonPid) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.parent().map(q -> q.pid() == daemonPid).orElse(false))
                .filter(p -> p.info().commandLine().orElse("").contains("sleep infinity"))
                .toList();
    }

    private static long keepersOf(long daemonPid) {
        return keeperProcesses(daemonPid).size();
    }

    private boolean stopped(String id) throws Exception {
        return ok("tasks", "ls").lines().anyMatch(l -> l.startsWith(id + " ") && l.contains("STOPPED"));
    }

    @Test
    void theTasksStdinOutlivesADaemonRestart() throws Exception {
        Path fifos = Files.createDirectories(tmp.resolve("fifo"));
        Process client = new ProcessBuilder(ctr("run", "--fifo-dir", fifos.toString(), DaemonProcess.BUSYBOX, "rs-live",
                "/bin/busybox", "sh", "-c", "while read l; do echo got-$l; done; echo eof")).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("ctr.out").toFile()).start();
        started.add(client);
        OutputStream clientIn = client.getOutputStream();
        clientIn.write("one\n".getBytes(StandardCharsets.UTF_8));
        clientIn.flush();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> log("rs-live").contains("got-one"));

        // a second writer of the client's FIFO (ctr's own copy ends with its gRPC stream when the daemon dies)
        Path fifo;
        try (var found = Files.find(fifos, 3, (p, a) -> p.getFileName().toString().equals("rs-live-stdin"))) {
            fifo = found.findFirst().orElseThrow();
        }
        OutputStream writer = CompletableFuture.supplyAsync(() -> {
            try {
                return (OutputStream) new FileOutputStream(fifo.toFile());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(30, TimeUnit.SECONDS);
        Optional<FdKeeper.Kept> kept = keeper("rs-live");

        daemon.kill();
        daemon.start();

        writer.write("two\n".getBytes(StandardCharsets.UTF_8));
        writer.flush();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> log("rs-live").contains("got-two"));
        assertFalse(log("rs-live").contains("eof"), "the task's stdin is still open:\n" + log("rs-live"));

        // every writer gone: the task reads end of file and ends on its own
        writer.close();
        clientIn.close();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> stopped("rs-live"));
        assertTrue(log("rs-live").contains("eof"), log("rs-live"));
        assertTrue(kept.isPresent(), "a stdin keeper was recorded");
        assertFalse(kept.get().alive(), "the stdin keeper ended with the stdin");
        assertFalse(Files.exists(bundle("rs-live").resolve("stdin.keeper")));
        daemon.kill();
        try (Engine e = daemon.openEngine()) {
            assertEquals(0, e.runtime().find("default", "rs-live").orElseThrow().exitCode());
        }
    }

    @Test
    void aRestartWithNoClientAttachedLeavesTheTaskRunningWithNothingToCopy() throws Exception {
        // ctr run -d exits once the task runs: its end of the FIFO closes, the task's stdin ends
        ok("run", "-d", DaemonProcess.BUSYBOX, "rs-det", "/bin/busybox", "sh", "-c", "cat; echo eof; exec sleep 600");
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> log("rs-det").contains("eof"));
        assertTrue(keeper("rs-det").isEmpty(), "a closed stdin keeps nothing");
        // the keeper, started beside Tasks/Create, has ended too (the daemon reaps its keepers)
        long pid = daemon.process().pid();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> keepersOf(pid) == 0);

        daemon.kill();
        daemon.start();
        assertTrue(ok("tasks", "ls").lines().anyMatch(l -> l.startsWith("rs-det ") && l.contains("RUNNING")));
        assertTrue(keeper("rs-det").isEmpty());
        ok("tasks", "kill", "-s", "SIGKILL", "rs-det");
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> stopped("rs-det"));
        ok("tasks", "delete", "rs-det");
        ok("containers", "rm", "rs-det");
    }
}
