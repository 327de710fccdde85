package dev.berth.controller.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.berth.api.containerd.services.tasks.v1.ResizePtyRequest;
import dev.berth.api.containerd.services.tasks.v1.TasksGrpc;
import dev.berth.api.containerd.services.tasks.v1.UpdateTaskRequest;
import dev.berth.controller.Daemon;
import dev.berth.engine.cgroups.CgroupPaths;
import dev.berth.engine.config.Config;
import dev.berth.engine.runtime.TaskState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Tasks methods that look into and adjust a live task, driven by Debian's real {@code ctr}
 * against a Berth daemon and checked against the node itself (the task's cgroup files):
 * {@code tasks ps} lists exactly the cgroup's processes, {@code tasks metrics} shows the limit the
 * cgroup holds, {@code tasks kill --exec-id} ends one exec, pause freezes the cgroup, checkpoint is
 * refused and leaves the task running. ctr 1.6 has no {@code tasks update} and no resize command, so
 * Update and ResizePty are called with Berth's own generated stubs over the same socket.
 */
class CtrTaskControlIT {
    private static final String IMAGE = "localhost/berth/busybox:latest";
    private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");

    @TempDir
    Path tmp;
    Daemon daemon;
    Config config;
    Path sock;
    final String cgroupParent = "/berth-ctrtc-" + Long.toHexString(System.nanoTime());
    final List<Process> started = new ArrayList<>();

    record Ctr(int code, String out) {
    }

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for runc and overlay mounts");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ctr")), "needs Debian's containerd package (ctr)");
        assumeTrue(Files.isDirectory(CGROUP_ROOT.resolve("memory")), "checks cgroup v1 files (this build's hosts)");
        sock = CtrDaemons.socket(tmp);
        config = CtrDaemons.config(tmp, cgroupParent, Files.createDirectories(tmp.resolve("manifests")));
        CtrDaemons.importBusybox(config, tmp, IMAGE);
        daemon = Daemon.start(config);
    }

    @AfterEach
    void tearDown() throws Exception {
        started.forEach(Process::destroyForcibly);
        if (config != null) {
            CtrDaemons.tearDown(daemon, config, tmp, cgroupParent);
        }
    }

    private List<String> argv(String... args) {
        List<String> argv = new ArrayList<>(List.of("ctr", "--address", sock.toString(), "--connect-timeout", "30s"));
        argv.addAll(List.of(args));
        return argv;
    }

    private Ctr ctr(String... args) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv(args)).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "ctr " + String.join(" ", args) + " did not finish");
        return new Ctr(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private Ctr ok(String... args) throws IOException, InterruptedException {
        Ctr r = ctr(args);
        assertEquals(0, r.code(), "ctr " + String.join(" ", args) + ":\n" + r.out());
        return r;
    }

    /** A file of the task's cgroup in one v1 hierarchy, read straight from the node. */
    private String cgroupFile(String id, String controller, String file) throws IOException {
        String rel = CgroupPaths.toRelative(daemon.engine().containers().find("default", id).orElseThrow().cgroupsPath());
        return Files.readString(CGROUP_ROOT.resolve(controller).resolve(rel).resolve(file)).trim();
    }

    private Set<Long> cgroupProcs(String id) throws IOException {
        Set<Long> pids = new TreeSet<>();
        cgroupFile(id, "pids", "cgroup.procs").lines().filter(l -> !l.isBlank()).forEach(l -> pids.add(Long.parseLong(l)));
        return pids;
    }

    /** The PID column of {@code ctr tasks ps}. */
    private Set<Long> ctrPids(String out) {
        Set<Long> pids = new TreeSet<>();
        out.lines().skip(1).map(String::trim).filter(l -> !l.isEmpty())
                .forEach(l -> pids.add(Long.parseLong(l.split("\\s+")[0])));
        return pids;
    }

    private void runDetached(String id) throws Exception {
        ok("run", "-d", IMAGE, id, "/bin/busybox", "sleep", "600");
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> daemon.engine().runtime().find("default", id)
                .map(t -> t.state() == TaskState.RUNNING).orElse(false));
    }

    @Test
    void psListsTheCgroupsProcessesAndKillExecIdEndsOneExec() throws Exception {
        runDetached("tc-ps");
        long init = daemon.engine().runtime().find("default", "tc-ps").orElseThrow().pid();
        Ctr ps = ok("tasks", "ps", "tc-ps");
        assertEquals(Set.of(init), ctrPids(ps.out()), ps.out());
        assertEquals(cgroupProcs("tc-ps"), ctrPids(ps.out()));

        Process exec = new ProcessBuilder(argv("tasks", "exec", "--exec-id", "long1", "tc-ps", "/bin/busybox", "sleep", "600"))
                .redirectErrorStream(true).start();
        started.add(exec);
        exec.getOutputStream().close();
        // the exec shows in ps, named by its exec id, once runc runs it
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> ok("tasks", "ps", "tc-ps").out().contains("long1"));
        Ctr both = ok("tasks", "ps", "tc-ps");
        assertEquals(2, ctrPids(both.out()).size(), both.out());
        assertEquals(cgroupProcs("tc-ps"), ctrPids(both.out()), both.out());
        long execPid = both.out().lines().filter(l -> l.contains("long1")).map(l -> Long.parseLong(l.trim().split("\\s+")[0]))
                .findFirst().orElseThrow();

        ok("tasks", "kill", "--exec-id", "long1", "-s", "SIGKILL", "tc-ps");
        assertTrue(exec.waitFor(60, TimeUnit.SECONDS), "ctr tasks exec returned after its process was killed");
        String execOut = new String(exec.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(137, exec.exitValue(), execOut);
        assertTrue(ProcessHandle.of(execPid).isEmpty() || !ProcessHandle.of(execPid).get().isAlive(), "the exec is gone");
        // only the exec went: the task and its init are still there
        assertEquals(TaskState.RUNNING, daemon.engine().runtime().find("default", "tc-ps").orElseThrow().state());
        assertEquals(Set.of(init), cgroupProcs("tc-ps"));
        Ctr gone = ctr("tasks", "kill", "--exec-id", "long1", "tc-ps");
        assertEquals(1, gone.code(), gone.out());
        assertTrue(gone.out().contains("not found"), gone.out());
        ok("tasks", "kill", "-s", "SIGKILL", "tc-ps");
    }

    @Test
    void metricsShowTheCgroupAndUpdateChangesIt() throws Exception {
        runDetached("tc-m");
        try (Stub tasks = new Stub(sock)) {
            long limit = 96L << 20;
            String json = "{\"memory\":{\"limit\":" + limit + "},\"cpu\":{\"quota\":50000,\"period\":100000}}";
            tasks.tasks().update(UpdateTaskRequest.newBuilder().setContainerId("tc-m").setResources(Any.newBuilder()
                    .setTypeUrl(TaskControl.RESOURCES_TYPE).setValue(ByteString.copyFromUtf8(json))).build());
            assertEquals(Long.toString(limit), cgroupFile("tc-m", "memory", "memory.limit_in_bytes"));
            assertEquals("50000", cgroupFile("tc-m", "cpu", "cpu.cfs_quota_us"));
            assertEquals("100000", cgroupFile("tc-m", "cpu", "cpu.cfs_period_us"));

            Ctr m = ok("tasks", "metrics", "tc-m");
            assertEquals(Long.toString(limit), metric(m.out(), "memory.limit_in_bytes"), m.out());
            assertEquals(cgroupFile("tc-m", "pids", "pids.current"), metric(m.out(), "pids.current"), m.out());
            long usage = Long.parseLong(metric(m.out(), "memory.usage_in_bytes"));
            assertTrue(usage > 0 && usage <= limit, m.out());
            assertTrue(Long.parseLong(metric(m.out(), "cpuacct.usage")) > 0, m.out());
            String json2 = ok("tasks", "metrics", "--format", "json", "tc-m").out();
            assertTrue(Pattern.compile("\"limit\":\\s*" + limit).matcher(json2).find(), json2);

            // what Update cannot apply is refused by name, and the cgroup is left as it was
            var bad = assertThrows(StatusRuntimeException.class, () -> tasks.tasks().update(UpdateTaskRequest.newBuilder()
                    .setContainerId("tc-m").setResources(Any.newBuilder().setTypeUrl(TaskControl.RESOURCES_TYPE)
                            .setValue(ByteString.copyFromUtf8("{\"memory\":{\"limit\":1048576,\"swap\":2097152}}"))).build()));
            assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
            assertTrue(bad.getStatus().getDescription().contains("resources.memory.swap"), bad.getStatus().getDescription());
            assertEquals(Long.toString(limit), cgroupFile("tc-m", "memory", "memory.limit_in_bytes"));

            var resize = assertThrows(StatusRuntimeException.class, () -> tasks.tasks().resizePty(ResizePtyRequest
                    .newBuilder().setContainerId("tc-m").setWidth(80).setHeight(24).build()));
            assertEquals(io.grpc.Status.Code.FAILED_PRECONDITION, resize.getStatus().getCode());
            assertTrue(resize.getStatus().getDescription().contains("no terminal"), resize.getStatus().getDescription());
        }
        Ctr none = ctr("tasks", "metrics", "no-such-task");
        assertEquals(1, none.code(), none.out());
        ok("tasks", "kill", "-s", "SIGKILL", "tc-m");
    }

    /** The VALUE column of a {@code ctr tasks metrics} table row. */
    private static String metric(String table, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\s+(\\S+)").matcher(table);
        assertTrue(m.find(), name + " in\n" + table);
        return m.group(1);
    }

    @Test
    void pauseFreezesTheCgroupAndCheckpointIsRefusedLeavingTheTaskRunning() throws Exception {
        runDetached("tc-p");
        ok("tasks", "pause", "tc-p");
        assertEquals("FROZEN", cgroupFile("tc-p", "freezer", "freezer.state"));
        assertTrue(ok("tasks", "ls").out().lines().anyMatch(l -> l.startsWith("tc-p") && l.contains("PAUSED")));
        ok("tasks", "resume", "tc-p");
        assertEquals("THAWED", cgroupFile("tc-p", "freezer", "freezer.state"));

        // ctr pauses around a checkpoint and resumes after it, also when the server refuses
        Ctr cp = ctr("tasks", "checkpoint", "tc-p");
        assertEquals(1, cp.code(), cp.out());
        assertTrue(cp.out().contains("does not checkpoint"), cp.out());
        assertEquals("THAWED", cgroupFile("tc-p", "freezer", "freezer.state"));
        assertEquals(TaskState.RUNNING, daemon.engine().runtime().find("default", "tc-p").orElseThrow().state());

        // ctr run closes the task's stdin (CloseIO) when its own ends; Berth's tasks read EOF at once
        Ctr eof = ok("run", "--rm", IMAGE, "tc-eof", "/bin/busybox", "sh", "-c", "cat; echo stdin-was-closed");
        assertTrue(eof.out().contains("stdin-was-closed"), eof.out());
        ok("tasks", "kill", "-s", "SIGKILL", "tc-p");
    }

    /** {@code ctr ARGS} with {@code input} on its stdin (then closed). */
    private Ctr ctrWithInput(byte[] input, String... args) throws Exception {
        Process p = new ProcessBuilder(argv(args)).redirectErrorStream(true).start();
        started.add(p);
        var out = new java.util.concurrent.CompletableFuture<byte[]>();
        new Thread(() -> {
            try {
                out.complete(p.getInputStream().readAllBytes());
            } catch (IOException e) {
                out.completeExceptionally(e);
            }
        }).start();
        try (var in = p.getOutputStream()) {
            in.write(input);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "ctr " + String.join(" ", args) + " did not finish");
        return new Ctr(p.exitValue(), new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    }

    private static boolean relayThreadsOf(String id) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("berth-stdin")
                && (t.getName().endsWith("/" + id) || t.getName().endsWith("-" + id)));
    }

    @Test
    void runGivesTheTaskTheClientsStdin() throws Exception {
        // echo hi | ctr run --rm IMAGE ID cat
        Ctr hi = ctrWithInput("hi\n".getBytes(StandardCharsets.UTF_8), "run", "--rm", IMAGE, "tc-cat", "/bin/busybox", "cat");
        assertEquals(0, hi.code(), hi.out());
        assertEquals("hi\n", hi.out());

        // 300 kB in many packets, in order and complete, and the process's own exit code back
        byte[] big = new byte[300_000];
        new java.util.Random(17).nextBytes(big);
        String md5 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(big));
        Ctr sum = ctrWithInput(big, "run", "--rm", IMAGE, "tc-md5", "/bin/busybox", "sh", "-c", "md5sum; exit 7");
        assertEquals(7, sum.code(), sum.out());
        assertTrue(sum.out().startsWith(md5 + "  -"), "md5 of what the task read: " + sum.out() + " want " + md5);

        // a live stream: the task answers a line before the client writes the next
        Process p = new ProcessBuilder(argv("run", "--rm", IMAGE, "tc-live", "/bin/busybox", "sh", "-c",
                "read a; echo got-$a; read b; echo got-$b")).redirectErrorStream(true).start();
        started.add(p);
        var lines = new java.util.concurrent.LinkedBlockingQueue<String>();
        new Thread(() -> new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8)).lines().forEach(lines::add)).start();
        var stdin = p.getOutputStream();
        stdin.write("one\n".getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        assertEquals("got-one", lines.poll(30, TimeUnit.SECONDS), "the first line is answered while stdin is open");
        stdin.write("two\n".getBytes(StandardCharsets.UTF_8));
        stdin.close();
        assertEquals("got-two", lines.poll(30, TimeUnit.SECONDS));
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());

        // nothing is left: no task, no container, no copy thread
        for (String id : List.of("tc-cat", "tc-md5", "tc-live")) {
            assertTrue(daemon.engine().runtime().find("default", id).isEmpty(), id);
            assertTrue(daemon.engine().containers().find("default", id).isEmpty(), id);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !relayThreadsOf(id));
        }
    }

    @Test
    void execGivesTheProcessTheClientsStdin() throws Exception {
        runDetached("tc-x");
        // echo hi | ctr tasks exec --exec-id e1 ID cat
        Ctr hi = ctrWithInput("hi\n".getBytes(StandardCharsets.UTF_8), "tasks", "exec", "--exec-id", "e1", "tc-x",
                "/bin/busybox", "cat");
        assertEquals(0, hi.code(), hi.out());
        assertEquals("hi\n", hi.out());

        // 300 kB complete and in order, CloseIO (sent while ctr still holds the FIFO) after all of it
        byte[] big = new byte[300_000];
        new java.util.Random(18).nextBytes(big);
        String md5 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(big));
        Ctr sum = ctrWithInput(big, "tasks", "exec", "--exec-id", "e2", "tc-x", "/bin/busybox", "sh", "-c",
                "md5sum; exit 5");
        assertEquals(5, sum.code(), sum.out());
        assertTrue(sum.out().startsWith(md5 + "  -"), "md5 of what the exec read: " + sum.out() + " want " + md5);

        // a line reaches the exec while the client's stdin is open (an exec's output reaches ctr when it
        // ends, so the exec leaves the line in a file that a second exec reads), and it reads end of
        // file when the client's stdin ends
        Process p = new ProcessBuilder(argv("tasks", "exec", "--exec-id", "e3", "tc-x", "/bin/busybox", "sh", "-c",
                "read a; echo $a > /first; while read l; do echo got-$l; done; echo eof")).redirectErrorStream(true)
                .start();
        started.add(p);
        var out = new java.util.concurrent.CompletableFuture<String>();
        new Thread(() -> {
            try {
                out.complete(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                out.completeExceptionally(e);
            }
        }).start();
        var stdin = p.getOutputStream();
        stdin.write("one\n".getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        int[] n = {10};
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ctr("tasks", "exec", "--exec-id", "look" + n[0]++,
                "tc-x", "/bin/busybox", "cat", "/first").out().equals("one\n"));
        stdin.write("two\n".getBytes(StandardCharsets.UTF_8));
        stdin.close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        assertEquals("got-two\neof\n", out.get(10, TimeUnit.SECONDS));

        // an exec without stdin (ctr exec < /dev/null) still runs; the task itself was never touched
        assertEquals("done\n", ctrWithInput(new byte[0], "tasks", "exec", "--exec-id", "e4", "tc-x", "/bin/busybox",
                "sh", "-c", "cat; echo done").out());
        assertEquals(TaskState.RUNNING, daemon.engine().runtime().find("default", "tc-x").orElseThrow().state());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("berth-stdin-relay-exec")));

        // CloseIO with the exec id ends its stdin while the client still holds its end of the FIFO
        Path fifo = tmp.resolve("e5-stdin");
        dev.berth.engine.sys.Sys.mknod(fifo, dev.berth.engine.sys.Sys.S_IFIFO | 0600, 0, 0);
        String spec = "{\"args\":[\"/bin/busybox\",\"sh\",\"-c\",\"cat > /closeio; exit 3\"],\"cwd\":\"/\"}";
        try (Stub stub = new Stub(sock)) {
            stub.tasks().exec(dev.berth.api.containerd.services.tasks.v1.ExecProcessRequest.newBuilder()
                    .setContainerId("tc-x").setExecId("e5").setStdin(fifo.toString())
                    .setSpec(Any.newBuilder().setTypeUrl(ExecProcesses.PROCESS_TYPE).setValue(ByteString.copyFromUtf8(spec)))
                    .build());
            stub.tasks().start(dev.berth.api.containerd.services.tasks.v1.StartRequest.newBuilder().setContainerId("tc-x")
                    .setExecId("e5").build());
            try (var writer = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new java.io.FileOutputStream(fifo.toFile());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).get(30, TimeUnit.SECONDS)) {
                writer.write("x\n".getBytes(StandardCharsets.UTF_8));
                writer.flush();
                stub.tasks().closeIO(dev.berth.api.containerd.services.tasks.v1.CloseIORequest.newBuilder()
                        .setContainerId("tc-x").setExecId("e5").setStdin(true).build());
                assertEquals(3, stub.tasks().wait(dev.berth.api.containerd.services.tasks.v1.WaitRequest.newBuilder()
                        .setContainerId("tc-x").setExecId("e5").build()).getExitStatus(), "the exec read end of file");
            }
        }
        assertEquals("x\n", ok("tasks", "exec", "--exec-id", "e6", "tc-x", "/bin/busybox", "cat", "/closeio").out());
        ok("tasks", "kill", "-s", "SIGKILL", "tc-x");
    }

    /** Berth's generated Tasks stub on the daemon's socket, namespace {@code default}. */
    private static final class Stub implements AutoCloseable {
        private final EpollEventLoopGroup group = new EpollEventLoopGroup(1);
        private final ManagedChannel channel;

        Stub(Path sock) {
            channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(sock.toString())).eventLoopGroup(group)
                    .channelType(EpollDomainSocketChannel.class).usePlaintext().build();
        }

        TasksGrpc.TasksBlockingStub tasks() {
            Metadata h = new Metadata();
            h.put(Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER), "default");
            return TasksGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h))
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            group.shutdownGracefully();
        }
    }
}
