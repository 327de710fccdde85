package dev.berth.controller.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.berth.api.cgroups.v2.CPUStat;
import dev.berth.api.cgroups.v2.IOEntry;
import dev.berth.api.cgroups.v2.IOStat;
import dev.berth.api.cgroups.v2.MemoryEvents;
import dev.berth.api.cgroups.v2.MemoryStat;
import dev.berth.api.cgroups.v2.Metrics;
import dev.berth.api.cgroups.v2.PidsStat;
import dev.berth.engine.cgroups.CgroupSample;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * containerd's Tasks/Metrics payload on a cgroup v2 node ({@code io.containerd.cgroups.v2.Metrics},
 * what its runc shim sends there), built from the engine's v2 samples of the task: the same reading
 * of the same files as Berth's Prometheus metrics. The samples carry {@code memory.events}' oom count
 * only (containerd's Prometheus families have no others), so {@code memory_events} holds {@code oom}
 * and leaves low, high, max and oom_kill at 0; rdma and hugetlb are not sampled on v2 and stay empty.
 * Stateless.
 */
final class CgroupV2Metrics {
    /** The Any type URL containerd's clients resolve: the bare message name. */
    static final String TYPE = "io.containerd.cgroups.v2.Metrics";
    /** 2^63 as a double: sample values at or above it do not fit a signed long. */
    private static final double LONG_LIMIT = 9.223372036854775807E18;

    private CgroupV2Metrics() {
    }

    /** Whether the samples are a v2 cgroup's (containerd's v2 families name CPU time in microseconds). */
    static boolean isV2(List<CgroupSample> samples) {
        return samples.stream().anyMatch(s -> s.name().equals("container_cpu_usage_usec_microseconds"));
    }

    /** The samples as containerd's v2 metrics, packed as its clients expect. */
    static Any of(List<CgroupSample> samples) {
        CPUStat.Builder cpu = CPUStat.newBuilder();
        MemoryStat.Builder mem = MemoryStat.newBuilder();
        PidsStat.Builder pids = PidsStat.newBuilder();
        MemoryEvents.Builder events = MemoryEvents.newBuilder();
        Map<String, IOEntry.Builder> io = new TreeMap<>();
        for (CgroupSample s : samples) {
            long v = uint64(s.value());
            String n = s.name().substring("container_".length());
            switch (n) {
                case "cpu_usage_usec_microseconds" -> cpu.setUsageUsec(v);
                case "cpu_user_usec_microseconds" -> cpu.setUserUsec(v);
                case "cpu_system_usec_microseconds" -> cpu.setSystemUsec(v);
                case "cpu_nr_periods_total" -> cpu.setNrPeriods(v);
                case "cpu_nr_throttled_total" -> cpu.setNrThrottled(v);
                case "cpu_throttled_usec_microseconds" -> cpu.setThrottledUsec(v);
                case "memory_usage_bytes" -> mem.setUsage(v);
                case "memory_usage_limit_bytes" -> mem.setUsageLimit(v);
                case "memory_swap_usage_bytes" -> mem.setSwapUsage(v);
                case "memory_swap_limit_bytes" -> mem.setSwapLimit(v);
                case "memory_oom_total" -> events.setOom(v);
                case "pids_limit" -> pids.setLimit(v);
                case "pids_current" -> pids.setCurrent(v);
                case "io_rbytes_bytes" -> device(io, s).setRbytes(v);
                case "io_wbytes_bytes" -> device(io, s).setWbytes(v);
                case "io_rios_total" -> device(io, s).setRios(v);
                case "io_wios_total" -> device(io, s).setWios(v);
                default -> stat(mem, n, v);
            }
        }
        IOStat.Builder ioStat = IOStat.newBuilder();
        io.values().forEach(ioStat::addUsage);
        Metrics m = Metrics.newBuilder().setCpu(cpu).setMemory(mem).setPids(pids).setMemoryEvents(events).setIo(ioStat)
                .build();
        return Any.newBuilder().setTypeUrl(TYPE).setValue(m.toByteString()).build();
    }

    /** {@code memory_anon_bytes}, {@code memory_pgfault_bytes}…: the memory.stat field of that name. */
    private static void stat(MemoryStat.Builder mem, String n, long v) {
        if (!n.startsWith("memory_") || !n.endsWith("_bytes")) {
            return;
        }
        FieldDescriptor f = MemoryStat.getDescriptor()
                .findFieldByName(n.substring("memory_".length(), n.length() - "_bytes".length()));
        if (f != null && f.getJavaType() == FieldDescriptor.JavaType.LONG) {
            mem.setField(f, v);
        }
    }

    private static IOEntry.Builder device(Map<String, IOEntry.Builder> io, CgroupSample s) {
        String major = s.labelValues().get(0);
        String minor = s.labelValues().get(1);
        return io.computeIfAbsent(major + ":" + minor,
                k -> IOEntry.newBuilder().setMajor(Long.parseLong(major)).setMinor(Long.parseLong(minor)));
    }

    /** The sample as a uint64's bits: "max" (2^64-1, a double of 2^64) is all ones, as containerd sends it. */
    static long uint64(double v) {
        if (v < LONG_LIMIT) {
            return (long) v;
        }
        if (v >= 1.8446744073709551615E19) {
            return -1L;
        }
        return new java.math.BigDecimal(v).toBigInteger().longValue();
    }
}
