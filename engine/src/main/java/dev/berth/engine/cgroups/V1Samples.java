package dev.berth.engine.cgroups;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * containerd's cgroup v1 metric families for one container: CPU (cpuacct, cpu.stat), memory
 * (memory.stat fields and the usage/swap/kernel/kernel-TCP counters), pids, block I/O (the
 * {@code *_recursive} files, or the throttle ones where the I/O scheduler provides none), hugetlb per
 * page size, and OOM kills. Thread-safe; keeps block device names and the kernel's huge page sizes.
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
    /** containerd family name, file (without "blkio."), unit suffix; then the metric name and help. */
    private static final List<String[]> BLKIO = Stream.of(
            new String[] {"blkio_io_merged_recursive", "io_merged_recursive", "total"},
            new String[] {"blkio_io_queued_recursive", "io_queued_recursive", "total"},
            new String[] {"blkio_io_service_bytes_recursive", "io_service_bytes_recursive", "bytes"},
            new String[] {"blkio_io_service_time_recursive", "io_service_time_recursive", "total"},
            new String[] {"blkio_io_serviced_recursive", "io_serviced_recursive", "total"},
            new String[] {"blkio_io_time_recursive", "time_recursive", "total"},
            new String[] {"blkio_sectors_recursive", "sectors_recursive", "total"})
            .map(b -> new String[] {b[0], b[1], b[2], "container_" + b[0] + "_" + b[2], "The " + b[0].replace('_', ' ')})
            .toList();
    /** memory.stat field, metric name, help: made once, not on every scrape. */
    private static final List<String[]> STATS = Stream.concat(
            STAT_FIELDS.stream().map(f -> new String[] {f, "container_memory_" + f + "_bytes", "The " + f + " amount"}),
            TOTAL_FIELDS.stream().map(f -> new String[] {"total_" + f, "container_memory_total_" + f + "_bytes",
                    "The total_" + f + " amount"})).toList();
    /** For usage, swap, kernel and kerneltcp: file suffix, metric name, help. */
    private static final Map<String, List<String[]>> USAGE = Stream.of("usage", "swap", "kernel", "kerneltcp")
            .collect(Collectors.toMap(w -> w, w -> List.of(
                    new String[] {"failcnt", "container_memory_" + w + "_failcnt_total", "The " + w + " failcnt"},
                    new String[] {"limit_in_bytes", "container_memory_" + w + "_limit_bytes", "The " + w + " limit"},
                    new String[] {"max_usage_in_bytes", "container_memory_" + w + "_max_bytes", "The " + w + " maximum usage"},
                    new String[] {"usage_in_bytes", "container_memory_" + w + "_usage_bytes", "The " + w + " usage"})));
    private static final List<String> BLKIO_LABELS = List.of("op", "device", "major", "minor");
    private static final Map<String, String> DEVICES = new ConcurrentHashMap<>();
    private static final List<String> CPU_LABEL = List.of("cpu");
    private static final List<String> PAGE_LABEL = List.of("page");
    private static final String[] CPU_NAMES = new String[256];

    static {
        for (int i = 0; i < CPU_NAMES.length; i++) {
            CPU_NAMES[i] = Integer.toString(i);
        }
    }

    private final Path root;
    private final Path sysDevBlock;
    /** Page sizes listed from the root; null until first needed. */
    private volatile List<String> rootPages;
    /** Whether the root lists no page sizes although the controller is there (a fixture): list each cgroup. */
    private volatile boolean listEach;

    V1Samples(Path root) {
        this.root = root;
        this.sysDevBlock = root.getParent() == null ? Path.of("/sys/dev/block")
                : root.getParent().getParent() == null ? Path.of("/sys/dev/block") : root.getParent().getParent().resolve("dev/block");
    }

    List<CgroupSample> read(String rel) {
        return read(rel, SampleReader.DIRECT);
    }

    /** The samples of cgroup {@code rel}, its files read from {@code files}. */
    List<CgroupSample> read(String rel, SampleReader.Source files) {
        SampleReader r = new SampleReader(files);
        String p = V1Cgroups.strip(rel);
        cpu(r, root.resolve("cpuacct").resolve(p), root.resolve("cpu").resolve(p));
        memory(r, root.resolve("memory").resolve(p));
        Path pids = root.resolve("pids").resolve(p);
        r.add("container_pids_limit", "The limit to the number of pids allowed", r.number(pids.resolve("pids.max"), 0));
        r.add("container_pids_current", "The current number of pids", r.number(pids.resolve("pids.current"), 0));
        blkio(r, root.resolve("blkio").resolve(p));
        hugetlb(r, root.resolve("hugetlb").resolve(p));
        return r.samples();
    }

    private static void cpu(SampleReader r, Path acct, Path cpu) {
        r.add("container_cpu_total_nanoseconds", "The total cpu time", r.number(acct.resolve("cpuacct.usage"), 0));
        Map<String, Double> stat = r.keyed(acct.resolve("cpuacct.stat"));
        r.add("container_cpu_kernel_nanoseconds", "The total kernel cpu time",
                stat.getOrDefault("system", 0.0) * NANOS_PER_TICK);
        r.add("container_cpu_user_nanoseconds", "The total user cpu time", stat.getOrDefault("user", 0.0) * NANOS_PER_TICK);
        String perCpu = r.text(acct.resolve("cpuacct.usage_percpu"));
        if (perCpu != null && !perCpu.isEmpty()) {
            List<String> v = SampleReader.fields(perCpu);
            for (int i = 0; i < v.size(); i++) {
                r.add("container_per_cpu_nanoseconds", "The total cpu time per cpu", CPU_LABEL,
                        List.of(cpuName(i)), SampleReader.parse(v.get(i)));
            }
        }
        Map<String, Double> throttle = r.keyed(cpu.resolve("cpu.stat"));
        r.add("container_cpu_throttle_periods_total", "The total cpu throttle periods",
                throttle.getOrDefault("nr_periods", 0.0));
        r.add("container_cpu_throttled_periods_total", "The total cpu throttled periods",
                throttle.getOrDefault("nr_throttled", 0.0));
        r.add("container_cpu_throttled_time_nanoseconds", "The total cpu throttled time",
                throttle.getOrDefault("throttled_time", 0.0));
    }

    private static void memory(SampleReader r, Path mem) {
        Map<String, Double> stat = r.keyed(mem.resolve("memory.stat"));
        for (String[] f : STATS) {
            r.add(f[1], f[2], stat.getOrDefault(f[0], 0.0));
        }
        usage(r, mem, "usage", "memory.");
        usage(r, mem, "swap", "memory.memsw.");
        usage(r, mem, "kernel", "memory.kmem.");
        usage(r, mem, "kerneltcp", "memory.kmem.tcp.");
        Map<String, Double> oom = r.keyed(mem.resolve("memory.oom_control"));
        r.add("container_memory_oom_total", "The number of times a container has received an oom event",
                oom.getOrDefault("oom_kill", 0.0));
    }

    private static void usage(SampleReader r, Path mem, String what, String prefix) {
        for (String[] u : USAGE.get(what)) {
            r.add(u[1], u[2], r.number(mem.resolve(prefix + u[0]), 0));
        }
    }

    private void blkio(SampleReader r, Path blkio) {
        // without CFQ/BFQ the io_* files are empty or absent and the throttle layer still counts
        boolean scheduler = !r.deviceLines(blkio.resolve("blkio.io_serviced_recursive")).isEmpty();
        for (String[] b : BLKIO) {
            Path f = blkio.resolve("blkio." + b[1]);
            if (!scheduler && (b[1].equals("io_service_bytes_recursive") || b[1].equals("io_serviced_recursive"))) {
                f = blkio.resolve("blkio.throttle." + b[1]);
            }
            for (List<String> fields : r.deviceLines(f)) {
                // "8:0 Read 4096", or "8:0 123" for time and sectors
                String mm = fields.get(0);
                int colon = mm.indexOf(':');
                String op = fields.size() == 3 ? fields.get(1) : "";
                r.add(b[3], b[4], BLKIO_LABELS,
                        List.of(op, device(mm), mm.substring(0, colon), mm.substring(colon + 1)),
                        SampleReader.parse(fields.get(fields.size() - 1)));
            }
        }
    }

    /** {@code /dev/<name>} for a block device number, as containerd labels it; empty when unknown. */
    private String device(String majorMinor) {
        return DEVICES.computeIfAbsent(sysDevBlock + "|" + majorMinor, k -> {
            String uevent = SampleReader.DIRECT.read(sysDevBlock.resolve(majorMinor).resolve("uevent"));
            if (uevent != null) {
                for (String line : SampleReader.lines(uevent)) {
                    if (line.startsWith("DEVNAME=")) {
                        return "/dev/" + line.substring("DEVNAME=".length());
                    }
                }
            }
            return "";
        });
    }

    private void hugetlb(SampleReader r, Path dir) {
        for (String page : hugePages(dir)) {
            List<String> v = List.of(page);
            r.add("container_hugetlb_usage_bytes", "The hugetlb usage", PAGE_LABEL, v,
                    r.number(dir.resolve("hugetlb." + page + ".usage_in_bytes"), 0));
            r.add("container_hugetlb_failcnt_total", "The hugetlb failcnt", PAGE_LABEL, v,
                    r.number(dir.resolve("hugetlb." + page + ".failcnt"), 0));
            r.add("container_hugetlb_max_bytes", "The hugetlb maximum usage", PAGE_LABEL, v,
                    r.number(dir.resolve("hugetlb." + page + ".max_usage_in_bytes"), 0));
        }
    }

    /**
     * The huge page sizes ({@code 2MB}, {@code 1GB}): the kernel's, fixed while it runs, so listed
     * once from the hierarchy's root cgroup; none without the hugetlb controller. A tree whose root
     * lists none (a fixture) is listed per cgroup.
     */
    private List<String> hugePages(Path dir) {
        List<String> pages = rootPages;
        if (pages == null) {
            Path top = root.resolve("hugetlb");
            pages = Files.isDirectory(top) ? pageSizes(top) : List.of();
            rootPages = pages;
            listEach = pages.isEmpty() && Files.isDirectory(top);
        }
        return listEach ? pageSizes(dir) : pages;
    }

    private static List<String> pageSizes(Path dir) {
        List<String> out = new java.util.ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                String n = f.getFileName().toString();
                if (n.startsWith("hugetlb.") && n.endsWith(".usage_in_bytes") && !n.contains(".rsvd.")) {
                    out.add(n.substring("hugetlb.".length(), n.length() - ".usage_in_bytes".length()));
                }
            }
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            // the cgroup went away while we listed it: no hugetlb values this time
        }
        return out;
    }

    /** "0", "1", ...: the per-CPU label values, made once. */
    private static String cpuName(int i) {
        return i < CPU_NAMES.length ? CPU_NAMES[i] : Integer.toString(i);
    }
}
