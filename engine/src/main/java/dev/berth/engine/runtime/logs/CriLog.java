package dev.berth.engine.runtime.logs;

import dev.berth.engine.errdefs.BerthException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Reads container logs in the CRI format that conmon writes (kubelet's format): one physical line is
 * {@code <RFC3339Nano time> <stdout|stderr> <P|F> <text>}; a long line is split into P (partial)
 * pieces closed by an F piece. Readers here join the pieces back into whole lines. A size-capped log
 * is truncated or rotated by conmon; {@link #follow} notices and starts over on the new file.
 * Stateless and thread-safe.
 */
public final class CriLog {
    private CriLog() {
    }

    /** One whole log line. */
    public record Entry(OffsetDateTime time, String stream, String text) {
        public boolean stderr() {
            return "stderr".equals(stream);
        }
    }

    /** One physical line of the file. */
    public record Piece(OffsetDateTime time, String stream, boolean partial, String text) {
    }

    /** Parses a physical line; INVALID_ARGUMENT when it is not CRI format. */
    public static Piece parse(String line) {
        int a = line.indexOf(' ');
        int b = a < 0 ? -1 : line.indexOf(' ', a + 1);
        int c = b < 0 ? -1 : line.indexOf(' ', b + 1);
        if (a < 0 || b < 0) {
            throw BerthException.invalid("not a CRI log line: %s", line);
        }
        String tag = c < 0 ? line.substring(b + 1) : line.substring(b + 1, c);
        String text = c < 0 ? "" : line.substring(c + 1);
        String stream = line.substring(a + 1, b);
        if (!stream.equals("stdout") && !stream.equals("stderr") || !tag.startsWith("P") && !tag.startsWith("F")) {
            throw BerthException.invalid("not a CRI log line: %s", line);
        }
        try {
            return new Piece(OffsetDateTime.parse(line.substring(0, a)), stream, tag.startsWith("P"), text);
        } catch (DateTimeParseException e) {
            throw BerthException.invalid("bad time in CRI log line: %s", line);
        }
    }

    /** Formats a piece the way conmon and kubelet write it (without the newline). */
    public static String format(Piece p) {
        return p.time() + " " + p.stream() + " " + (p.partial() ? "P" : "F") + " " + p.text();
    }

    /** Joins pieces into entries, per stream. Not thread-safe. */
    static final class Assembler {
        private final StringBuilder out = new StringBuilder();
        private final StringBuilder err = new StringBuilder();

        /** The whole entry completed by {@code p}, or null while it is partial. Malformed lines are skipped. */
        Entry add(String line) {
            if (line.isEmpty()) {
                return null;
            }
            Piece p;
            try {
                p = parse(line);
            } catch (BerthException e) {
                return null;
            }
            StringBuilder buf = p.stream().equals("stderr") ? err : out;
            buf.append(p.text());
            if (p.partial()) {
                return null;
            }
            Entry e = new Entry(p.time(), p.stream(), buf.toString());
            buf.setLength(0);
            return e;
        }
    }

    /** Every entry in the file; an absent file has none. */
    public static List<Entry> read(Path file) {
        return tail(file, -1);
    }

    /** The last {@code n} entries ({@code n < 0}: all). */
    public static List<Entry> tail(Path file, int n) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw BerthException.unavailable("cannot read log %s: %s", file, e.getMessage());
        }
        return lastEntries(lines, n);
    }

    private static List<Entry> lastEntries(List<String> lines, int n) {
        Assembler asm = new Assembler();
        Deque<Entry> keep = new ArrayDeque<>();
        for (String l : lines) {
            Entry e = asm.add(l);
            if (e != null) {
                keep.addLast(e);
                if (n >= 0 && keep.size() > n) {
                    keep.removeFirst();
                }
            }
        }
        return new ArrayList<>(keep);
    }

    /**
     * Sends the last {@code tail} entries ({@code -1}: all) to {@code sink}, then every new entry as it
     * is written, until {@code done} is true and the file has no more data. Polls every {@code poll}.
     * Returns early if the thread is interrupted.
     */
    public static void follow(Path file, int tail, Consumer<Entry> sink, BooleanSupplier done, Duration poll) {
        follow(file, tail, sink, done, () -> Thread.sleep(poll.toMillis()));
    }

    /** How a follower waits between two looks at the file when it had no new data. */
    @FunctionalInterface
    public interface Pause {
        void pause() throws InterruptedException;
    }

    /**
     * {@link #follow(Path, int, Consumer, BooleanSupplier, Duration)} with a wait of the caller's
     * between looks, e.g. one that an event cuts short (a task's exit).
     */
    public static void follow(Path file, int tail, Consumer<Entry> sink, BooleanSupplier done, Pause pause) {
        Assembler asm = new Assembler();
        followLines(file, StandardCharsets.UTF_8, lines -> lastEntries(lines, tail).forEach(sink), line -> {
            Entry e = asm.add(line);
            if (e != null) {
                sink.accept(e);
            }
        }, done, pause);
    }

    /**
     * {@link #follow(Path, int, Consumer, BooleanSupplier, Pause)} piece by piece as conmon wrote
     * them, every piece in the file first: a terminal's output, where a prompt is a partial line
     * that must reach the client before its newline does. A piece's text holds the bytes conmon
     * wrote one char per byte (ISO-8859-1: {@code text().getBytes(ISO_8859_1)} gives them back), as a
     * pty's output is cut wherever a read ended, also inside a multi-byte character. Malformed lines
     * are skipped.
     */
    public static void followPieces(Path file, Consumer<Piece> sink, BooleanSupplier done, Pause pause) {
        Consumer<String> one = line -> {
            Piece p = parseOrNull(line);
            if (p != null) {
                sink.accept(p);
            }
        };
        followLines(file, StandardCharsets.ISO_8859_1, lines -> lines.forEach(one), one, done, pause);
    }

    /** Every well-formed piece in the file, text as {@link #followPieces} gives it; an absent file has none. */
    public static List<Piece> readPieces(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.ISO_8859_1).stream().map(CriLog::parseOrNull)
                    .filter(Objects::nonNull).toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw BerthException.unavailable("cannot read log %s: %s", file, e.getMessage());
        }
    }

    private static Piece parseOrNull(String line) {
        if (line.isEmpty()) {
            return null;
        }
        try {
            return parse(line);
        } catch (BerthException e) {
            return null;
        }
    }

    /** The follow loop over physical lines: those in the file now to {@code existing}, then each new one. */
    private static void followLines(Path file, java.nio.charset.Charset charset, Consumer<List<String>> existing,
            Consumer<String> sink,
            BooleanSupplier done, Pause pause) {
        // the tail and the position to follow from come from one read, so a line appended meanwhile
        // is neither lost nor sent twice
        long pos = 0;
        Object identity = null;
        try {
            if (Files.exists(file)) {
                identity = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
                byte[] start = Files.readAllBytes(file);
                int end = start.length;
                while (end > 0 && start[end - 1] != '\n') {
                    end--;
                }
                pos = end;
                String text = new String(start, 0, end, charset);
                List<String> lines = text.isEmpty() ? List.of()
                        : List.of(text.substring(0, text.length() - 1).split("\n", -1));
                existing.accept(lines);
            }
        } catch (NoSuchFileException e) {
            // appears later: followed from its start
        } catch (IOException e) {
            throw BerthException.unavailable("cannot read log %s: %s", file, e.getMessage());
        }
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        while (true) {
            boolean finished = done.getAsBoolean();
            try {
                if (Files.exists(file)) {
                    BasicFileAttributes at = Files.readAttributes(file, BasicFileAttributes.class);
                    if (!Objects.equals(at.fileKey(), identity) || at.size() < pos) {
                        identity = at.fileKey();
                        pos = 0;
                        pending.reset();
                    }
                    if (at.size() > pos) {
                        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
                            raf.seek(pos);
                            byte[] buf = new byte[(int) Math.min(at.size() - pos, 1 << 20)];
                            int n = raf.read(buf);
                            if (n > 0) {
                                pos += n;
                                emit(buf, n, pending, charset, sink);
                            }
                        }
                        continue;
                    }
                }
            } catch (IOException e) {
                throw BerthException.unavailable("cannot read log %s: %s", file, e.getMessage());
            }
            if (finished) {
                return;
            }
            try {
                pause.pause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void emit(byte[] buf, int n, ByteArrayOutputStream pending, java.nio.charset.Charset charset,
            Consumer<String> sink) {
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                pending.write(buf, start, i - start);
                sink.accept(pending.toString(charset));
                pending.reset();
                start = i + 1;
            }
        }
        pending.write(buf, start, n - start);
    }
}
