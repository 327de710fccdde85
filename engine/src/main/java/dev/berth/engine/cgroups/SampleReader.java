package dev.berth.engine.cgroups;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects {@link CgroupSample}s while reading one cgroup's files. A file that is missing or
 * unreadable counts as zero, as containerd's reader leaves absent stats at zero (so the same families
 * appear on every node of one cgroup version). Not thread-safe: one per read.
 */
final class SampleReader {
    private final List<CgroupSample> out = new ArrayList<>();

    List<CgroupSample> samples() {
        return out;
    }

    void add(String name, String help, double value) {
        out.add(CgroupSample.of(name, help, value));
    }

    void add(String name, String help, List<String> labels, List<String> values, double value) {
        out.add(new CgroupSample(name, help, labels, values, value));
    }

    /** The file's content, or null when absent or unreadable (a cgroup removed while we read it). */
    static String text(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    /** First number in the file; "max" as {@code max}; 0 when absent or not a number. */
    static double number(Path file, double max) {
        String s = text(file);
        if (s == null || s.isEmpty()) {
            return 0;
        }
        if (s.equals("max")) {
            return max;
        }
        return parse(s.split("\\s+")[0]);
    }

    static double parse(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * The lines of a per-device file that start with {@code major:minor} (blkio, io.stat), split on
     * white space; other lines (blkio's closing {@code Total N}) are left out. Empty when absent.
     */
    static List<String[]> deviceLines(Path file) {
        List<String[]> out = new ArrayList<>();
        String text = text(file);
        if (text == null) {
            return out;
        }
        for (String line : text.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 2 && fields[0].contains(":")) {
                out.add(fields);
            }
        }
        return out;
    }

    /** A flat-keyed file ({@code key value} lines: memory.stat, cpu.stat, cpuacct.stat). */
    static Map<String, Double> keyed(Path file) {
        Map<String, Double> m = new HashMap<>();
        String s = text(file);
        if (s == null) {
            return m;
        }
        for (String line : s.split("\n")) {
            int sp = line.indexOf(' ');
            if (sp > 0) {
                m.put(line.substring(0, sp), parse(line.substring(sp + 1).trim()));
            }
        }
        return m;
    }
}
