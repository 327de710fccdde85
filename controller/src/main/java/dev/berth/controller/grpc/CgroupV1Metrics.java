package dev.berth.controller.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.berth.api.cgroups.v1.BlkIOEntry;
import dev.berth.api.cgroups.v1.BlkIOStat;
import dev.berth.api.cgroups.v1.CPUStat;
import dev.berth.api.cgroups.v1.CPUUsage;
import dev.berth.api.cgroups.v1.HugetlbStat;
import dev.berth.api.cgroups.v1.MemoryEntry;
import dev.berth.api.cgroups.v1.MemoryOomControl;
import dev.berth.api.cgroups.v1.MemoryStat;
import dev.berth.api.cgroups.v1.Metrics;
import dev.berth.api.cgroups.v1.PidsStat;
import dev.berth.api.cgroups.v1.Throttle;
import dev.berth.engine.cgroups.CgroupSample;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * containerd's Tasks/Metrics payload on a cgroup v1 node ({@code io.containerd.cgroups.v1.Metrics},
 * what its runc shim sends) built from the engine's cgroup samples of the task: the same reading of
 * the same files that Berth's Prometheus metrics show, so the two never disagree. Stateless.
 */
final class CgroupV1Metrics {
    /** The Any type URL containerd's clients resolve: the bare message name, no type.googleapis.com prefix. */
    static final String TYPE = "io.containerd.cgroups.v1.Metrics";
    /** memory.stat names whose MemoryStat field is spelt differently. */
    private static final Map<String, String> STAT_RENAMES = Map.of("pgpgin", "pg_pg_in", "pgpgout", "pg_pg_out",
            "pgfault", "pg_fault", "pgmajfault", "pg_maj_fault", "hierarchical_memsw_limit", "hierarchical_swap_limit");
    /** The blkio families (sample name without container_blkio_ and the unit): each is the BlkIOStat field of that name. */
    private static final java.util.Set<String> BLKIO = java.util.Set.of("io_merged_recursive", "io_queued_recursive",
            "io_service_bytes_recursive", "io_service_time_recursive", "io_serviced_recursive", "io_time_recursive",
            "sectors_recursive");

    private CgroupV1Metrics() {
    }

    /** The samples as containerd's v1 metrics, packed as its clients expect. */
    static Any of(List<CgroupSample> samples) {
        CPUUsage.Builder cpu = CPUUsage.newBuilder();
        Throttle.Builder throttle = Throttle.newBuilder();
        MemoryStat.Builder mem = MemoryStat.newBuilder();
        Map<String, MemoryEntry.Builder> entries = new TreeMap<>();
        for (String w : List.of("usage", "swap", "kernel", "kerneltcp")) {
            entries.put(w, MemoryEntry.newBuilder());
        }
        PidsStat.Builder pids = PidsStat.newBuilder();
        MemoryOomControl.Builder oom = MemoryOomControl.newBuilder();
        BlkIOStat.Builder blkio = BlkIOStat.newBuilder();
        Map<String, HugetlbStat.Builder> huge = new TreeMap<>();
        Map<Integer, Long> perCpu = new TreeMap<>();
        for (CgroupSample s : samples) {
            long v = (long) s.value();
            String n = s.name().substring("container_".length());
            switch (n) {
                case "cpu_total_nanoseconds" -> cpu.setTotal(v);
                case "cpu_kernel_nanoseconds" -> cpu.setKernel(v);
                case "cpu_user_nanoseconds" -> cpu.setUser(v);
                case "per_cpu_nanoseconds" -> perCpu.put(Integer.parseInt(s.labelValues().get(0)), v);
                case "cpu_throttle_periods_total" -> throttle.setPeriods(v);
                case "cpu_throttled_periods_total" -> throttle.setThrottledPeriods(v);
                case "cpu_throttled_time_nanoseconds" -> throttle.setThrottledTime(v);
                case "pids_limit" -> pids.setLimit(v);
                case "pids_current" -> pids.setCurrent(v);
                case "memory_oom_total" -> oom.setOomKill(v);
                case "hugetlb_usage_bytes" -> page(huge, s).setUsage(v);
                case "hugetlb_max_bytes" -> page(huge, s).setMax(v);
                case "hugetlb_failcnt_total" -> page(huge, s).setFailcnt(v);
                default -> {
                    if (n.startsWith("memory_")) {
                        memory(mem, entries, n.substring("memory_".length()), v);
                    } else if (n.startsWith("blkio_")) {
                        blkio(blkio, n.substring("blkio_".length()), s, v);
                    }
                }
            }
        }
        cpu.addAllPerCpu(perCpu.values());
        mem.setUsage(entries.get("usage")).setSwap(entries.get("swap")).setKernel(entries.get("kernel"))
                .setKernelTcp(entries.get("kerneltcp"));
        Metrics.Builder m = Metrics.newBuilder().setCpu(CPUStat.newBuilder().setUsage(cpu).setThrottling(throttle))
                .setMemory(mem).setPids(pids).setMemoryOomControl(oom).setBlkio(blkio);
        huge.values().forEach(m::addHugetlb);
        return Any.newBuilder().setTypeUrl(TYPE).setValue(m.build().toByteString()).build();
    }

    private static HugetlbStat.Builder page(Map<String, HugetlbStat.Builder> huge, CgroupSample s) {
        String size = s.labelValues().get(0);
        return huge.computeIfAbsent(size, p -> HugetlbStat.newBuilder().setPagesize(p));
    }

    /** {@code usage_limit_bytes}, {@code kernel_failcnt_total}, {@code total_rss_bytes}, {@code pgpgin_bytes}… */
    private static void memory(MemoryStat.Builder mem, Map<String, MemoryEntry.Builder> entries, String n, long v) {
        for (Map.Entry<String, MemoryEntry.Builder> e : entries.entrySet()) {
            String rest = n.startsWith(e.getKey() + "_") ? n.substring(e.getKey().length() + 1) : null;
            if (rest != null) {
                switch (rest) {
                    case "limit_bytes" -> e.getValue().setLimit(v);
                    case "usage_bytes" -> e.getValue().setUsage(v);
                    case "max_bytes" -> e.getValue().setMax(v);
                    case "failcnt_total" -> e.getValue().setFailcnt(v);
                    default -> {
                        continue;
                    }
                }
                return;
            }
        }
        if (n.endsWith("_bytes")) {
            String stat = n.substring(0, n.length() - "_bytes".length());
            boolean total = stat.startsWith("total_");
            String base = total ? stat.substring("total_".length()) : stat;
            String field = (total ? "total_" : "") + STAT_RENAMES.getOrDefault(base, base);
            FieldDescriptor f = MemoryStat.getDescriptor().findFieldByName(field);
            if (f != null && f.getJavaType() == FieldDescriptor.JavaType.LONG) {
                mem.setField(f, v);
            }
        }
    }

    /** {@code io_serviced_recursive_total} with op/device/major/minor labels → one BlkIOEntry. */
    private static void blkio(BlkIOStat.Builder blkio, String n, CgroupSample s, long v) {
        String family = n.substring(0, n.lastIndexOf('_'));
        if (!BLKIO.contains(family) || s.labelValues().size() != 4) {
            return;
        }
        List<String> l = s.labelValues();
        BlkIOEntry e = BlkIOEntry.newBuilder().setOp(l.get(0)).setDevice(l.get(1)).setMajor(Long.parseLong(l.get(2)))
                .setMinor(Long.parseLong(l.get(3))).setValue(v).build();
        blkio.addRepeatedField(BlkIOStat.getDescriptor().findFieldByName(family), e);
    }
}
