package dev.berth.engine.cgroups;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects {@link CgroupSample}s while reading one cgroup's files from a {@link Source}. A file that
 * is missing or unreadable counts as zero, as containerd's reader leaves absent stats at zero (so the
 * same families appear on every node of one cgroup version). Each file is read once per reader.
 * Parsing splits on spaces and newlines by hand: no regular expressions on this path, which runs for
 * every file of every container on every scrape. Not thread-safe: one per read.
 */
final class SampleReader {
    /** Where the files' contents come from. */
    interface Source {
        /** The file's content, or null when absent or unreadable (a cgroup removed while we read it). */
        String read(Path file);
    }

    /** Opens, reads and closes each file. */
    static final Source DIRECT = file -> {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return null;
        }
    };

    private final Source source;
    private final Map<Path, String> read = new HashMap<>();
    private final List<CgroupSample> out = new ArrayList<>();

    SampleReader(Source source) {
        this.source = source;
    }

    List<CgroupSample> samples() {
        return out;
    }

    void add(String name, String help, double value) {
        out.add(CgroupSample.of(name, help, value));
    }

    void add(String name, String help, List<String> labels, List<String> values, double value) {
        out.add(new CgroupSample(name, help, labels, values, value));
    }

    /** The file's content, trimmed; null when absent. */
    String text(Path file) {
        String s = read.get(file);
        if (s == null && !read.containsKey(file)) {
            s = source.read(file);
            s = s == null ? null : s.trim();
            read.put(file, s);
        }
        return s;
    }

    /** First number in the file; "max" as {@code max}; 0 when absent or not a number. */
    double number(Path file, double max) {
        String s = text(file);
        if (s == null || s.isEmpty()) {
            return 0;
        }
        if (s.equals("max")) {
            return max;
        }
        int end = 0;
        while (end < s.length() && !Character.isWhitespace(s.charAt(end))) {
            end++;
        }
        return parse(s, 0, end);
    }

    static double parse(String s) {
        return parse(s, 0, s.length());
    }

    /**
     * The number in {@code s[from, to)}: a plain decimal integer (every cgroup counter) is parsed
     * without making a substring; anything else goes through {@link Double#parseDouble}; 0 when it
     * is not a number.
     */
    static double parse(String s, int from, int to) {
        long v = 0;
        int i = from;
        boolean negative = i < to && s.charAt(i) == '-';
        if (negative) {
            i++;
        }
        if (i == to || to - i > 18) {
            return slowParse(s, from, to);
        }
        for (; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return slowParse(s, from, to);
            }
            v = v * 10 + (c - '0');
        }
        return negative ? -v : v;
    }

    private static double slowParse(String s, int from, int to) {
        try {
            return Double.parseDouble(s.substring(from, to));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** {@code s} split on runs of spaces and tabs. */
    static List<String> fields(String s) {
        List<String> f = new ArrayList<>(4);
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
                i++;
            }
            int start = i;
            while (i < n && s.charAt(i) != ' ' && s.charAt(i) != '\t') {
                i++;
            }
            if (i > start) {
                f.add(s.substring(start, i));
            }
        }
        return f;
    }

    /** The lines of {@code s}, without their newlines. */
    static List<String> lines(String s) {
        List<String> l = new ArrayList<>();
        int start = 0;
        for (int nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', start)) {
            l.add(s.substring(start, nl));
            start = nl + 1;
        }
        if (start < s.length()) {
            l.add(s.substring(start));
        }
        return l;
    }

    /**
     * The lines of a per-device file that start with {@code major:minor} (blkio, io.stat), split on
     * white space; other lines (blkio's closing {@code Total N}) are left out. Empty when absent.
     */
    List<List<String>> deviceLines(Path file) {
        List<List<String>> out = new ArrayList<>();
        String text = text(file);
        if (text == null) {
            return out;
        }
        for (String line : lines(text)) {
            List<String> fields = fields(line);
            if (fields.size() >= 2 && fields.get(0).indexOf(':') > 0) {
                out.add(fields);
            }
        }
        return out;
    }

    /** A flat-keyed file ({@code key value} lines: memory.stat, cpu.stat, cpuacct.stat). */
    Map<String, Double> keyed(Path file) {
        Map<String, Double> m = new HashMap<>();
        String s = text(file);
        if (s == null) {
            return m;
        }
        int start = 0;
        int n = s.length();
        while (start < n) {
            int nl = s.indexOf('\n', start);
            int end = nl < 0 ? n : nl;
            int sp = s.indexOf(' ', start);
            if (sp > start && sp < end) {
                int v = sp + 1;
                while (v < end && s.charAt(v) == ' ') {
                    v++;
                }
                int ve = end;
                while (ve > v && Character.isWhitespace(s.charAt(ve - 1))) {
                    ve--;
                }
                m.put(s.substring(start, sp), parse(s, v, ve));
            }
            start = end + 1;
        }
        return m;
    }
}
