package dev.berth.engine.cgroups;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * containerd's cgroup v2 metric families for one container: cpu.stat in microseconds, memory.current
 * and memory.max, swap, the memory.stat fields containerd exports, OOM events, pids, and io.stat per
 * device. "max" reads as 2^64-1, as containerd reports it. Stateless.
 */
final class V2Samples {
    private static final double MAX = 18446744073709551615.0;
    private static final List<String> STAT_FIELDS = List.of("file_mapped", "file_dirty", "file_writeback", "pgactivate",
            "pgdeactivate", "pgfault", "pgmajfault", "pglazyfree", "pgrefill", "pglazyfreed", "pgscan", "pgsteal",
            "inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable", "anon", "file", "kernel_stack",
            "slab", "sock", "shmem", "anon_thp", "slab_reclaimable", "slab_unreclaimable", "workingset_refault",
            "workingset_activate", "workingset_nodereclaim", "thp_fault_alloc", "thp_collapse_alloc");
    /** memory.stat field, metric name, help: made once, not on every scrape. */
    private static final List<String[]> STATS = STAT_FIELDS.stream()
            .map(f -> new String[] {f, "container_memory_" + f + "_bytes", "The " + f + " amount"}).toList();
    private static final List<String> IO_LABELS = List.of("major", "minor");
    private static final Map<String, String> IO_HELP = Map.of("rbytes", "IO rbytes", "wbytes", "IO wbytes", "rios", "IO rios",
            "wios", "IO wios");

    private final Path root;

    V2Samples(Path root) {
        this.root = root;
    }

    List<CgroupSample> read(String rel) {
        return read(rel, SampleReader.DIRECT);
    }

    /** The samples of cgroup {@code rel}, its files read from {@code files}. */
    List<CgroupSample> read(String rel, SampleReader.Source files) {
        SampleReader r = new SampleReader(files);
        Path d = root.resolve(V1Cgroups.strip(rel));
        Map<String, Double> cpu = r.keyed(d.resolve("cpu.stat"));
        r.add("container_cpu_usage_usec_microseconds", "Total cpu usage (cgroup v2)", cpu.getOrDefault("usage_usec", 0.0));
        r.add("container_cpu_user_usec_microseconds", "Current cpu usage in user space (cgroup v2)",
                cpu.getOrDefault("user_usec", 0.0));
        r.add("container_cpu_system_usec_microseconds", "Current cpu usage in kernel space (cgroup v2)",
                cpu.getOrDefault("system_usec", 0.0));
        r.add("container_cpu_nr_periods_total", "Current cpu number of periods (only if controller is enabled)",
                cpu.getOrDefault("nr_periods", 0.0));
        r.add("container_cpu_nr_throttled_total", "Total number of times tasks have been throttled",
                cpu.getOrDefault("nr_throttled", 0.0));
        r.add("container_cpu_throttled_usec_microseconds", "Total time duration for which tasks have been throttled",
                cpu.getOrDefault("throttled_usec", 0.0));
        r.add("container_memory_usage_bytes", "Current memory usage (cgroup v2)", r.number(d.resolve("memory.current"), MAX));
        r.add("container_memory_usage_limit_bytes", "Current memory usage limit (cgroup v2)",
                r.number(d.resolve("memory.max"), MAX));
        r.add("container_memory_swap_usage_bytes", "Current swap usage (cgroup v2)",
                r.number(d.resolve("memory.swap.current"), MAX));
        r.add("container_memory_swap_limit_bytes", "Current swap usage limit (cgroup v2)",
                r.number(d.resolve("memory.swap.max"), MAX));
        Map<String, Double> stat = r.keyed(d.resolve("memory.stat"));
        for (String[] f : STATS) {
            r.add(f[1], f[2], stat.getOrDefault(f[0], 0.0));
        }
        r.add("container_memory_oom_total", "The number of times a container has received an oom event",
                r.keyed(d.resolve("memory.events")).getOrDefault("oom", 0.0));
        r.add("container_pids_limit", "The limit to the number of pids allowed", r.number(d.resolve("pids.max"), 0));
        r.add("container_pids_current", "The current number of pids", r.number(d.resolve("pids.current"), 0));
        io(r, d.resolve("io.stat"));
        return r.samples();
    }

    private static void io(SampleReader r, Path file) {
        for (List<String> f : r.deviceLines(file)) {
            String mm = f.get(0);
            int colon = mm.indexOf(':');
            List<String> v = List.of(mm.substring(0, colon), mm.substring(colon + 1));
            for (int i = 1; i < f.size(); i++) {
                String field = f.get(i);
                int eq = field.indexOf('=');
                if (eq < 0) {
                    continue;
                }
                String key = field.substring(0, eq);
                String name = switch (key) {
                    case "rbytes" -> "container_io_rbytes_bytes";
                    case "wbytes" -> "container_io_wbytes_bytes";
                    case "rios" -> "container_io_rios_total";
                    case "wios" -> "container_io_wios_total";
                    default -> null;
                };
                if (name != null) {
                    r.add(name, IO_HELP.get(key), IO_LABELS, v, SampleReader.parse(field, eq + 1, field.length()));
                }
            }
        }
    }
}
