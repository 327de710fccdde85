package dev.berth.controller.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.controller.Daemon;
import dev.berth.engine.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Terminals through the gRPC API, driven by Debian's real {@code ctr} on a real pseudo-terminal
 * (python3's pty module, {@code pty-driver.py}, sets its size before ctr starts and changes it while
 * ctr runs, so the kernel sends ctr SIGWINCH): the task's process sees a pty of the client's size,
 * follows a resize, takes keystrokes, and its exit code is ctr's.
 */
class CtrTerminalIT {
    private static final String IMAGE = "localhost/berth/busybox:latest";

    @TempDir
    Path tmp;
    Daemon daemon;
    Config config;
    Path sock;
    final String cgroupParent = "/berth-ctrtty-" + Long.toHexString(System.nanoTime());
    final List<Process> started = new ArrayList<>();

    record Session(int code, String screen) {
    }

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for runc and overlay mounts");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ctr")), "needs Debian's containerd package (ctr)");
        assumeTrue(new ProcessBuilder("python3", "-c", "import pty").start().waitFor() == 0, "needs python3 for a pty");
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

    /** Runs ctr with {@code args} on a {@code rows} × {@code cols} terminal through the steps of pty-driver.py. */
    private Session onTerminal(int rows, int cols, List<String> steps, String... args) throws Exception {
        Path driver = tmp.resolve("pty-driver.py");
        if (!Files.exists(driver)) {
            try (InputStream in = CtrTerminalIT.class.getResourceAsStream("pty-driver.py")) {
                Files.copy(in, driver);
            }
        }
        List<String> argv = new ArrayList<>(List.of("python3", driver.toString(), Integer.toString(rows),
                Integer.toString(cols), "ctr", "--address", sock.toString(), "--connect-timeout", "30s"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        started.add(p);
        try (OutputStream in = p.getOutputStream()) {
            in.write((String.join("\n", steps) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        String screen = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), screen);
        assertEquals(0, p.exitValue(), "the dialogue did not finish:\n" + screen);
        int at = screen.lastIndexOf("\nEXIT ");
        assertTrue(at >= 0, screen);
        return new Session(Integer.parseInt(screen.substring(at + 6).trim()), screen);
    }

    /** Runs ctr without a terminal; its exit code and output. */
    private Session ctr(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("ctr", "--address", sock.toString(), "--connect-timeout", "30s"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        started.add(p);
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        return new Session(p.exitValue(), out);
    }

    /** A shell line that waits until the pty's size is not {@code notYet}, then prints {@code tag} and it. */
    private static String sizeOnceNot(String notYet, String tag) {
        return "send while [ \"$(busybox stty size)\" = \"" + notYet + "\" ]; do sleep 0.1; done; echo " + tag
                + " $(busybox stty size) $(busybox tty)";
    }

    @Test
    void runDashTGivesTheTaskAPtyOfTheClientsSizeThatFollowsAResizeAndTakesKeystrokes() throws Exception {
        Session s = onTerminal(30, 100, List.of(
                "expect # ",
                // ctr sends its size right after Tasks/Start: the shell may be faster
                sizeOnceNot("0 0", "FIRST"),
                "expect FIRST 30 100 /dev/pts/[0-9]+",
                "resize 40 120",
                sizeOnceNot("30 100", "THEN"),
                "expect-winch THEN 40 120 /dev/pts/[0-9]+",
                // an exec without -t beside the terminal: pipes, not the init's pty
                "run ctr --address " + sock + " tasks exec --exec-id plain tty-run sh -c 'busybox tty; echo piped'",
                "send exit 3"),
                "run", "-t", "--rm", IMAGE, "tty-run", "sh");
        assertEquals(3, s.code(), s.screen());
        assertTrue(s.screen().contains("RAN 0 not a tty\npiped\n"), s.screen());
        assertTrue(daemon.engine().runtime().find("default", "tty-run").isEmpty(), "ctr deleted its task");
        assertTrue(daemon.engine().containers().find("default", "tty-run").isEmpty(), "ctr --rm removed its container");
    }

    @Test
    void aShortCommandOnATerminalGivesItsOutputAPartialLastLineIncludedAndItsExitCode() throws Exception {
        Session s = onTerminal(24, 80, List.of(), "run", "-t", "--rm", IMAGE, "tty-out", "sh", "-c",
                "busybox tty; printf 'caf\\303\\251, no newline at the end'; exit 7");
        assertEquals(7, s.code(), s.screen());
        // the terminal's bytes as they were, UTF-8 included
        assertTrue(s.screen().matches("(?s)/dev/pts/[0-9]+\r+\ncafé, no newline at the end\nEXIT 7\n"), s.screen());
        // ctr's resize came after the exit: taken quietly, so ctr printed no error
        assertTrue(daemon.engine().runtime().find("default", "tty-out").isEmpty(), "ctr deleted its task");
    }

    @Test
    void execDashTGivesTheExecAPtyOfItsOwnThatFollowsAResizeAndReturnsItsExitCode() throws Exception {
        // a container named as one of conmon's files in the exec's directory: its exit file keeps apart
        assertEquals(0, ctr("run", "-d", IMAGE, "log", "sleep", "1000").code());
        try {
            Path bundle = daemon.engine().runtime().bundle("default", "log");
            Session s = onTerminal(25, 90, List.of(
                    "expect # ",
                    sizeOnceNot("0 0", "FIRST"),
                    "expect FIRST 25 90 /dev/pts/[0-9]+",
                    "resize 50 160",
                    sizeOnceNot("25 90", "THEN"),
                    "expect-winch THEN 50 160 /dev/pts/[0-9]+",
                    "send exit 4"),
                    "tasks", "exec", "-t", "--exec-id", "sh1", "log", "sh");
            assertEquals(4, s.code(), s.screen());
            assertTrue(Files.isDirectory(bundle.resolve("exec-sh1.d")), "the exec had a directory of its own");
            // the task's init runs on, without a terminal; the exec's end left nothing running
            assertEquals(0, ctr("tasks", "exec", "--exec-id", "plain", "log", "true").code());
            assertTrue(daemon.engine().runtime().processes("default", "log").stream()
                    .noneMatch(p -> p.execId() != null), "no exec listed as running");
            // a second exec -t of the same id, after the first has ended
            Session again = onTerminal(24, 80, List.of(), "tasks", "exec", "-t", "--exec-id", "sh1", "log",
                    "sh", "-c", "busybox tty; exit 5");
            assertEquals(5, again.code(), again.screen());
            assertTrue(again.screen().contains("/dev/pts/"), again.screen());
        } finally {
            ctr("tasks", "kill", "-s", "SIGKILL", "log");
            daemon.engine().runtime().waitForExit("default", "log", java.time.Duration.ofSeconds(30));
            ctr("tasks", "delete", "log");
            ctr("containers", "rm", "log");
        }
        assertTrue(daemon.engine().runtime().find("default", "log").isEmpty(), "task deleted");
        // the exec's own directory went with the bundle
        assertTrue(!Files.exists(daemon.engine().runtime().bundle("default", "log")), "bundle removed");
        assertTrue(daemon.engine().containers().find("default", "log").isEmpty(), "container removed");
    }
}
