package dev.berth.engine.cgroups;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * containerd's cgroup v1 metric families for one container: CPU (cpuacct, cpu.stat), memory
 * (memory.stat fields and the usage/swap/kernel/kernel-TCP counters), pids, block I/O (the
 * {@code *_recursive} files, or the throttle ones where the I/O scheduler provides none), hugetlb per
 * page size, and OOM kills. Stateless apart from a cache of block device names.
 */
final class V1Samples {
    /** USER_HZ: cpuacct.stat counts ticks of 1/100 s. */
    private static final double NANOS_PER_TICK = 1e9 / 100;
    private static final List<String> STAT_FIELDS = List.of("cache", "rss", "rss_huge", "mapped_file", "dirty",
            "writeback", "pgpgin", "pgpgout", "pgfault", "pgmajfault", "inactive_anon", "active_anon", "inactive_file",
            "active_file", "unevictable", "hierarchical_memory_limit", "hierarchical_memsw_limit");
    private static final List<String> TOTAL_FIELDS = List.of("cache", "rss", "rss_huge", "mapped_file", "dirty",
            "writeback", "pgpgin", "pgpgout", "pgfault", "pgmajfault", "inactive_anon", "active_anon", "inactive_file",
            "active_file", "unevictable");
    /** containerd family name, file (without "blkio."), unit suffix. */
    private static final List<String[]> BLKIO = List.of(
            new String[] {"blkio_io_merged_recursive", "io_merged_recursive", "total"},
            new String[] {"blkio_io_queued_recursive", "io_queued_recursive", "total"},
            new String[] {"blkio_io_service_bytes_recursive", "io_service_bytes_recursive", "bytes"},
            new String[] {"blkio_io_service_time_recursive", "io_service_time_recursive", "total"},
            new String[] {"blkio_io_serviced_recursive", "io_serviced_recursive", "total"},
            new String[] {"blkio_io_time_recursive", "time_recursive", "total"},
            new String[] {"blkio_sectors_recursive", "sectors_recursive", "total"});
    private static final List<String> BLKIO_LABELS = List.of("op", "device", "major", "minor");
    private static final Map<String, String> DEVICES = new ConcurrentHashMap<>();

    private final Path root;
    private final Path sysDevBlock;

    V1Samples(Path root) {
        this.root = root;
        this.sysDevBlock = root.getParent() == null ? Path.of("/sys/dev/block")
                : root.getParent().getParent() == null ? Path.of("/sys/dev/block") : root.getParent().getParent().resolve("dev/block");
    }

    List<CgroupSample> read(String rel) {
        SampleReader r = new SampleReader();
        String p = V1Cgroups.strip(rel);
        cpu(r, root.resolve("cpuacct").resolve(p), root.resolve("cpu").resolve(p));
        memory(r, root.resolve("memory").resolve(p));
        Path pids = root.resolve("pids").resolve(p);
        r.add("container_pids_limit", "The limit to the number of pids allowed", SampleReader.number(pids.resolve("pids.max"), 0));
        r.add("container_pids_current", "The current number of pids", SampleReader.number(pids.resolve("pids.current"), 0));
        blkio(r, root.resolve("blkio").resolve(p));
        hugetlb(r, root.resolve("hugetlb").resolve(p));
        return r.samples();
    }

    private static void cpu(SampleReader r, Path acct, Path cpu) {
        r.add("container_cpu_total_nanoseconds", "The total cpu time", SampleReader.number(acct.resolve("cpuacct.usage"), 0));
        Map<String, Double> stat = SampleReader.keyed(acct.resolve("cpuacct.stat"));
        r.add("container_cpu_kernel_nanoseconds", "The total kernel cpu time",
                stat.getOrDefault("system", 0.0) * NANOS_PER_TICK);
        r.add("container_cpu_user_nanoseconds", "The total user cpu time", stat.getOrDefault("user", 0.0) * NANOS_PER_TICK);
        String perCpu = SampleReader.text(acct.resolve("cpuacct.usage_percpu"));
        if (perCpu != null && !perCpu.isEmpty()) {
            String[] v = perCpu.split("\\s+");
            for (int i = 0; i < v.length; i++) {
                r.add("container_per_cpu_nanoseconds", "The total cpu time per cpu", List.of("cpu"),
                        List.of(Integer.toString(i)), SampleReader.parse(v[i]));
            }
        }
        Map<String, Double> throttle = SampleReader.keyed(cpu.resolve("cpu.stat"));
        r.add("container_cpu_throttle_periods_total", "The total cpu throttle periods",
                throttle.getOrDefault("nr_periods", 0.0));
        r.add("container_cpu_throttled_periods_total", "The total cpu throttled periods",
                throttle.getOrDefault("nr_throttled", 0.0));
        r.add("container_cpu_throttled_time_nanoseconds", "The total cpu throttled time",
                throttle.getOrDefault("throttled_time", 0.0));
    }

    private static void memory(SampleReader r, Path mem) {
        Map<String, Double> stat = SampleReader.keyed(mem.resolve("memory.stat"));
        for (String f : STAT_FIELDS) {
            r.add("container_memory_" + f + "_bytes", "The " + f + " amount", stat.getOrDefault(f, 0.0));
        }
        for (String f : TOTAL_FIELDS) {
            r.add("container_memory_total_" + f + "_bytes", "The total_" + f + " amount",
                    stat.getOrDefault("total_" + f, 0.0));
        }
        usage(r, mem, "usage", "memory.");
        usage(r, mem, "swap", "memory.memsw.");
        usage(r, mem, "kernel", "memory.kmem.");
        usage(r, mem, "kerneltcp", "memory.kmem.tcp.");
        Map<String, Double> oom = SampleReader.keyed(mem.resolve("memory.oom_control"));
        r.add("container_memory_oom_total", "The number of times a container has received an oom event",
                oom.getOrDefault("oom_kill", 0.0));
    }

    private static void usage(SampleReader r, Path mem, String what, String prefix) {
        String base = "container_memory_" + what + "_";
        r.add(base + "failcnt_total", "The " + what + " failcnt", SampleReader.number(mem.resolve(prefix + "failcnt"), 0));
        r.add(base + "limit_bytes", "The " + what + " limit", SampleReader.number(mem.resolve(prefix + "limit_in_bytes"), 0));
        r.add(base + "max_bytes", "The " + what + " maximum usage",
                SampleReader.number(mem.resolve(prefix + "max_usage_in_bytes"), 0));
        r.add(base + "usage_bytes", "The " + what + " usage", SampleReader.number(mem.resolve(prefix + "usage_in_bytes"), 0));
    }

    private void blkio(SampleReader r, Path blkio) {
        // without CFQ/BFQ the io_* files are empty or absent and the throttle layer still counts
        boolean scheduler = hasEntries(blkio.resolve("blkio.io_serviced_recursive"));
        for (String[] b : BLKIO) {
            Path f = blkio.resolve("blkio." + b[1]);
            if (!scheduler && (b[1].equals("io_service_bytes_recursive") || b[1].equals("io_serviced_recursive"))) {
                f = blkio.resolve("blkio.throttle." + b[1]);
            }
            for (String[] fields : SampleReader.deviceLines(f)) {
                // "8:0 Read 4096", or "8:0 123" for time and sectors
                String[] mm = fields[0].split(":");
                String op = fields.length == 3 ? fields[1] : "";
                r.add("container_" + b[0] + "_" + b[2], "The " + b[0].replace('_', ' '), BLKIO_LABELS,
                        List.of(op, device(fields[0]), mm[0], mm[1]), SampleReader.parse(fields[fields.length - 1]));
            }
        }
    }

    private static boolean hasEntries(Path file) {
        return !SampleReader.deviceLines(file).isEmpty();
    }

    /** {@code /dev/<name>} for a block device number, as containerd labels it; empty when unknown. */
    private String device(String majorMinor) {
        return DEVICES.computeIfAbsent(sysDevBlock + "|" + majorMinor, k -> {
            String uevent = SampleReader.text(sysDevBlock.resolve(majorMinor).resolve("uevent"));
            if (uevent != null) {
                for (String line : uevent.split("\n")) {
                    if (line.startsWith("DEVNAME=")) {
                        return "/dev/" + line.substring("DEVNAME=".length());
                    }
                }
            }
            return "";
        });
    }

    private static void hugetlb(SampleReader r, Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                String n = f.getFileName().toString();
                if (!n.startsWith("hugetlb.") || !n.endsWith(".usage_in_bytes") || n.contains(".rsvd.")) {
                    continue;
                }
                String page = n.substring("hugetlb.".length(), n.length() - ".usage_in_bytes".length());
                List<String> l = List.of("page");
                List<String> v = List.of(page);
                r.add("container_hugetlb_usage_bytes", "The hugetlb usage", l, v, SampleReader.number(f, 0));
                r.add("container_hugetlb_failcnt_total", "The hugetlb failcnt", l, v,
                        SampleReader.number(dir.resolve("hugetlb." + page + ".failcnt"), 0));
                r.add("container_hugetlb_max_bytes", "The hugetlb maximum usage", l, v,
                        SampleReader.number(dir.resolve("hugetlb." + page + ".max_usage_in_bytes"), 0));
            }
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            // the cgroup went away while we listed it: no hugetlb values this time
        }
    }
}
