package dev.berth.controller.cli;

import dev.berth.engine.transfer.BlobProgress;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The per-blob progress of a pull or push as {@code ctr pull} shows it: one line per blob with its
 * state, a bar, bytes and total, and a summary line with elapsed time and rate. On a terminal the
 * block is redrawn in place ten times a second; otherwise each state change is printed once as a
 * plain line. Thread-safe.
 */
final class ProgressDisplay implements BlobProgress.Listener, AutoCloseable {
    private static final int BAR = 30;

    private final PrintWriter out;
    private final boolean tty;
    private final long start = System.nanoTime();
    private final Map<String, BlobProgress> blobs = new LinkedHashMap<>();
    private final Map<String, Long> resumedAt = new LinkedHashMap<>();
    private final ScheduledExecutorService redraw;
    private String header;
    private int drawnLines;

    ProgressDisplay(PrintWriter out, boolean tty, String header) {
        this.out = out;
        this.tty = tty;
        this.header = header;
        if (tty) {
            redraw = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "berth-progress");
                t.setDaemon(true);
                return t;
            });
            redraw.scheduleAtFixedRate(this::draw, 100, 100, TimeUnit.MILLISECONDS);
        } else {
            redraw = null;
            out.println(header);
        }
    }

    synchronized void header(String h) {
        header = h;
        if (!tty) {
            out.println(h);
            out.flush();
        }
    }

    @Override
    public synchronized void update(BlobProgress p) {
        BlobProgress old = blobs.put(p.ref(), p);
        if (old == null && p.phase() == BlobProgress.Phase.DOWNLOADING) {
            resumedAt.put(p.ref(), p.offset());
        }
        if (!tty && (old == null || old.phase() != p.phase())) {
            String extra = p.phase() == BlobProgress.Phase.DOWNLOADING && p.offset() > 0
                    ? " (resuming at " + bytes(p.offset()) + ")" : "";
            out.println(p.ref() + ": " + phase(p) + " " + bytes(p.phase().finished() ? p.total() : p.offset()) + "/"
                    + bytes(p.total()) + extra);
            out.flush();
        }
    }

    private static String phase(BlobProgress p) {
        return switch (p.phase()) {
            case WAITING -> "waiting";
            case DOWNLOADING -> "downloading";
            case RETRYING -> "stalled, retrying";
            case EXISTS -> "exists";
            case DONE -> "done";
            case FAILED -> "failed";
        };
    }

    private synchronized void draw() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < drawnLines; i++) {
            sb.append("\033[1A\033[2K");
        }
        int lines = 0;
        sb.append(header).append('\n');
        lines++;
        int width = 12;
        for (String ref : blobs.keySet()) {
            width = Math.max(width, Math.min(ref.length(), 80) + 1);
        }
        long fetched = 0;
        for (BlobProgress p : blobs.values()) {
            long done = p.phase().finished() ? p.total() : p.offset();
            if (p.phase() != BlobProgress.Phase.EXISTS) {
                fetched += Math.max(0, done - resumedAt.getOrDefault(p.ref(), 0L));
            }
            String name = p.ref().length() > 80 ? p.ref().substring(0, 79) + "…" : p.ref();
            sb.append(String.format(Locale.ROOT, "%-" + width + "s %-12s |%s| %s/%s%n", name + ":", phase(p),
                    bar(done, p.total()), bytes(done), bytes(p.total())));
            lines++;
        }
        double secs = (System.nanoTime() - start) / 1e9;
        sb.append(String.format(Locale.ROOT, "elapsed: %.1f s    total: %s (%s/s)%n", secs, bytes(fetched),
                bytes((long) (fetched / Math.max(secs, 0.001)))));
        lines++;
        out.print(sb);
        out.flush();
        drawnLines = lines;
    }

    private static String bar(long done, long total) {
        int n = total <= 0 ? BAR : (int) Math.min(BAR, done * BAR / total);
        return "+".repeat(n) + "-".repeat(BAR - n);
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** Elapsed seconds since the display started. */
    double elapsedSeconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    @Override
    public void close() {
        if (redraw != null) {
            redraw.shutdownNow();
            try {
                redraw.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            draw();
        }
    }
}
