package dev.berth.engine.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.FileInputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Commands started through posix_spawn: what the child gets, and what the caller gets back. */
class NativeSpawnTest {
    @TempDir
    Path dir;

    @Test
    void runCapturesStdoutStderrAndTheExitCodeAndFeedsStdin() {
        Processes.Result r = Processes.run(List.of("/bin/sh", "-c", "cat; echo oops >&2; exit 3"),
                "fed through stdin\n".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10));
        assertEquals(3, r.exitCode());
        assertEquals("fed through stdin\n", r.stdout());
        assertEquals("oops\n", r.stderr());
        assertEquals("oops", r.message());
    }

    @Test
    void outputLargerThanAPipeIsAllThere() {
        Processes.Result r = Processes.run(List.of("/bin/sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x"), null,
                Duration.ofSeconds(10));
        assertTrue(r.ok(), r.message());
        assertEquals(300_000, r.stdout().length());
    }

    @Test
    void aCommandPastItsTimeoutIsKilledAndSaysSo() {
        long t = System.nanoTime();
        Processes.Result r = Processes.run(List.of("/bin/sleep", "30"), null, Duration.ofMillis(200));
        assertEquals(137, r.exitCode());
        assertTrue(r.stderr().contains("killed after PT0.2S"), r.stderr());
        assertTrue(System.nanoTime() - t < Duration.ofSeconds(20).toNanos(), "killed, not waited for");
    }

    @Test
    void aMissingProgramIsUnavailableWithItsName() {
        BerthException e = assertThrows(BerthException.class,
                () -> Processes.run(List.of("/no/such/runc", "state"), null, Duration.ofSeconds(5)));
        assertEquals(ErrorCategory.UNAVAILABLE, e.category());
        assertTrue(e.getMessage().contains("/no/such/runc") && e.getMessage().contains("No such file"), e.getMessage());
    }

    @Test
    void aProgramOnPathIsFound() {
        Processes.Result r = Processes.run(List.of("true"), null, Duration.ofSeconds(5));
        assertTrue(r.ok(), r.message());
    }

    @Test
    void theChildHoldsOnlyItsThreeDescriptorsAndNoneOfOurs() throws Exception {
        Path f = Files.writeString(dir.resolve("held"), "x");
        // a JDK stream and a raw descriptor, neither close-on-exec in the child's view unless closed for it
        try (FileInputStream held = new FileInputStream(f.toFile()); RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
            int[] pipe = NativeSpawn.pipe();
            try {
                Processes.Result r = Processes.run(List.of("/bin/sh", "-c", "ls /proc/$$/fd"), null, Duration.ofSeconds(5));
                assertTrue(r.ok(), r.message());
                List<String> fds = Arrays.stream(r.stdout().trim().split("\\s+")).sorted().toList();
                assertEquals(List.of("0", "1", "2"), fds, "the shell's descriptors");
            } finally {
                Sys.close(pipe[0]);
                Sys.close(pipe[1]);
            }
        }
    }

    @Test
    void theEnvironmentIsExactlyTheOneGivenWithoutSystemdsVariables() {
        Processes.Result r = Processes.run(List.of("/usr/bin/env"),
                Map.of("A", "1", "NOTIFY_SOCKET", "/run/systemd/notify", "LISTEN_FDS", "2"), null, Duration.ofSeconds(5));
        assertEquals("A=1", r.stdout().trim());
    }

    @Test
    void theChildStartsWithNoSignalBlockedOrIgnored() {
        // (a child of the JDK's ProcessBuilder starts with SIGQUIT blocked, and with SIGINT ignored when
        // the JVM was started in the background by a shell)
        Processes.Result r = Processes.run(List.of("/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"), null,
                Duration.ofSeconds(5));
        assertTrue(r.ok(), r.message());
        Map<String, Long> masks = new java.util.HashMap<>();
        for (String line : r.stdout().trim().split("\n")) {
            String[] f = line.split(":\\s+");
            masks.put(f[0], Long.parseUnsignedLong(f[1].trim(), 16));
        }
        assertEquals(0L, masks.get("SigBlk"), r.stdout());
        // glibc's posix_spawn leaves its own two internal signals (32, 33) ignored; none of the standard ones
        assertEquals(0L, masks.get("SigIgn") & 0x7fffffffL, r.stdout());
    }

    @Test
    void descriptorsDirectoryAndSessionAreTheOnesAsked() throws Exception {
        Path out = dir.resolve("out");
        int[] pipe = NativeSpawn.pipe();
        int pid;
        try {
            pid = NativeSpawn.spawn(List.of("/bin/sh", "-c", "pwd; echo to-err >&2; echo via-3 >&3; ps -o sid= -p $$ | tr -d ' '; echo $$"),
                    Map.of("PATH", "/usr/bin:/bin"), dir, List.of(new NativeSpawn.ChildFd.DevNull(),
                            new NativeSpawn.ChildFd.Append(out), new NativeSpawn.ChildFd.Append(out),
                            new NativeSpawn.ChildFd.Inherit(pipe[1])), true);
        } finally {
            Sys.close(pipe[1]);
        }
        byte[] buf = new byte[64];
        int n = Sys.read(pipe[0], buf);
        Sys.close(pipe[0]);
        assertEquals("via-3\n", new String(buf, 0, Math.max(n, 0), StandardCharsets.UTF_8));
        assertEquals(OptionalInt.of(0), NativeSpawn.waitExit(pid, Duration.ofSeconds(10)));
        List<String> lines = Files.readAllLines(out);
        assertEquals(dir.toRealPath().toString(), lines.get(0));
        assertTrue(lines.contains("to-err"), lines.toString());
        // in a session of its own: the session id is its own pid
        assertEquals(Integer.toString(pid), lines.get(lines.size() - 2));
        assertEquals(Integer.toString(pid), lines.get(lines.size() - 1));
    }

    @Test
    void waitExitReportsASignalTheDeadlineAndAReapedChild() {
        int pid = NativeSpawn.spawn(List.of("/bin/sleep", "30"), Map.of(), null, List.of(new NativeSpawn.ChildFd.DevNull(),
                new NativeSpawn.ChildFd.DevNull(), new NativeSpawn.ChildFd.DevNull()), false);
        assertFalse(NativeSpawn.waitExit(pid, Duration.ofMillis(100)).isPresent(), "still running at the deadline");
        Sys.kill(pid, 15);
        assertEquals(OptionalInt.of(128 + 15), NativeSpawn.waitExit(pid, null));
        assertEquals(OptionalInt.of(-1), NativeSpawn.waitExit(pid, Duration.ofMillis(100)), "reaped already");
    }
}
