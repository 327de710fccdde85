package dev.berth.engine.runtime.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriLogTest {
    @TempDir
    Path tmp;

    @Test
    void parsesAndFormatsConmonLines() {
        CriLog.Piece p = CriLog.parse("2026-11-27T20:12:25.579793549+00:00 stderr P part one ");
        assertEquals("stderr", p.stream());
        assertTrue(p.partial());
        assertEquals("part one ", p.text());
        assertEquals(579793549, p.time().getNano());
        assertEquals("", CriLog.parse("2026-11-27T20:12:25Z stdout F").text());
        assertEquals("2026-11-27T20:12:25.579793549Z stdout F x",
                CriLog.format(CriLog.parse("2026-11-27T20:12:25.579793549Z stdout F x")));
        assertThrows(BerthException.class, () -> CriLog.parse("garbage"));
        assertThrows(BerthException.class, () -> CriLog.parse("2026-11-27T20:12:25Z stdin F x"));
        assertThrows(BerthException.class, () -> CriLog.parse("yesterday stdout F x"));
    }

    @Test
    void joinsPartialPiecesPerStreamAndTails() throws Exception {
        Path log = tmp.resolve("c.log");
        Files.writeString(log, String.join("\n",
                "2026-01-01T00:00:00Z stdout P hel",
                "2026-01-01T00:00:01Z stderr F boom",
                "2026-01-01T00:00:02Z stdout F lo",
                "not a line",
                "2026-01-01T00:00:03Z stdout F second",
                ""));
        List<CriLog.Entry> all = CriLog.read(log);
        assertEquals(List.of("boom", "hello", "second"), all.stream().map(CriLog.Entry::text).toList());
        assertTrue(all.get(0).stderr());
        assertEquals(List.of("second"), CriLog.tail(log, 1).stream().map(CriLog.Entry::text).toList());
        assertEquals(0, CriLog.tail(log, 0).size());
        assertEquals(List.of(), CriLog.read(tmp.resolve("absent.log")));
    }

    @Test
    void followSeesAppendsAndTruncation() throws Exception {
        Path log = tmp.resolve("f.log");
        Files.writeString(log, "2026-01-01T00:00:00Z stdout F old\n");
        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicBoolean done = new AtomicBoolean();
        Thread t = new Thread(() -> CriLog.follow(log, 1, e -> seen.add(e.text()), done::get, Duration.ofMillis(10)));
        t.start();
        waitFor(() -> seen.contains("old"));
        Files.writeString(log, "2026-01-01T00:00:01Z stdout F new\n", StandardOpenOption.APPEND);
        waitFor(() -> seen.contains("new"));
        // conmon's size cap replaces the file with an empty one
        Path tmpFile = tmp.resolve("f.log.tmp");
        Files.writeString(tmpFile, "2026-01-01T00:00:02Z stdout F after-rotate\n");
        Files.move(tmpFile, log, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        waitFor(() -> seen.contains("after-rotate"));
        Files.writeString(log, "2026-01-01T00:00:03Z stdout F last\n", StandardOpenOption.APPEND);
        done.set(true);
        t.join(10_000);
        assertEquals(List.of("old", "new", "after-rotate", "last"), seen);
    }

    @Test
    void aLineStillBeingWrittenWhenFollowingStartsIsSentOnceWhenComplete() throws Exception {
        Path log = tmp.resolve("p.log");
        Files.writeString(log, "2026-01-01T00:00:00Z stdout F old\n2026-01-01T00:00:01Z stdout F half");
        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicBoolean done = new AtomicBoolean();
        Thread t = new Thread(() -> CriLog.follow(log, 5, e -> seen.add(e.text()), done::get, Duration.ofMillis(10)));
        t.start();
        waitFor(() -> seen.contains("old"));
        Files.writeString(log, "-done\n", StandardOpenOption.APPEND);
        waitFor(() -> seen.contains("half-done"));
        done.set(true);
        t.join(10_000);
        assertEquals(List.of("old", "half-done"), seen);
    }

    @Test
    void followPiecesSendsPartialPiecesAtOnceAndNoJoinedLine() throws Exception {
        Path log = tmp.resolve("tty.log");
        Files.writeString(log, "2026-01-01T00:00:00Z stdout F /dev/pts/0\r\n2026-01-01T00:00:01Z stdout P / # \n"
                + "garbage\n");
        assertEquals(2, CriLog.readPieces(log).size(), "the malformed line is no piece");
        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicBoolean done = new AtomicBoolean();
        Thread t = new Thread(() -> CriLog.followPieces(log, p -> seen.add((p.partial() ? "P:" : "F:") + p.text()),
                done::get, () -> Thread.sleep(10)));
        t.start();
        // the prompt (a partial piece) is sent without waiting for the line it starts to end
        waitFor(() -> seen.contains("P:/ # "));
        Files.writeString(log, "2026-01-01T00:00:02Z stdout F ls\r\n", StandardOpenOption.APPEND);
        waitFor(() -> seen.contains("F:ls\r"));
        done.set(true);
        t.join(10_000);
        assertEquals(List.of("F:/dev/pts/0\r", "P:/ # ", "F:ls\r"), seen);
    }

    @Test
    void aCharacterCutBetweenTwoPiecesComesBackWhole() throws Exception {
        Path log = tmp.resolve("cut.log");
        byte[] e = "é".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.write("2026-01-01T00:00:00Z stdout P caf".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        b.write(e[0]);
        b.write("\n2026-01-01T00:00:01Z stdout F ".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        b.write(e[1]);
        b.write('\n');
        Files.write(log, b.toByteArray());
        StringBuilder bytes = new StringBuilder();
        CriLog.readPieces(log).forEach(p -> bytes.append(p.text()));
        assertEquals("café", new String(bytes.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
                java.nio.charset.StandardCharsets.UTF_8));
    }

    private static void waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met in 10s");
            }
            Thread.sleep(5);
        }
    }
}
