package dev.berth.engine.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** containerd's metric names and values from fixture v1 and v2 trees (this machine runs v1 only). */
class CgroupSamplesTest {
    @TempDir
    Path root;

    private void write(String rel, String content) throws Exception {
        CgroupTrees.write(root, rel, content);
    }

    private static double value(List<CgroupSample> s, String name, String... labelValues) {
        return s.stream().filter(x -> x.name().equals(name) && x.labelValues().equals(List.of(labelValues)))
                .findFirst().orElseThrow(() -> new AssertionError(name + " " + List.of(labelValues) + " missing"))
                .value();
    }

    @Test
    void v1FamiliesAsContainerdNamesThem() throws Exception {
        String c = "berth/default/web/";
        write("memory/" + c + "memory.usage_in_bytes", "1048576");
        write("memory/" + c + "memory.limit_in_bytes", "16777216");
        write("memory/" + c + "memory.max_usage_in_bytes", "2097152");
        write("memory/" + c + "memory.failcnt", "4");
        write("memory/" + c + "memory.stat", "cache 4096\nrss 8192\ntotal_rss 8192\nhierarchical_memory_limit 16777216");
        write("memory/" + c + "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2");
        write("cpuacct/" + c + "cpuacct.usage", "123456789");
        write("cpuacct/" + c + "cpuacct.stat", "user 7\nsystem 3");
        write("cpuacct/" + c + "cpuacct.usage_percpu", "100 200");
        write("cpu/" + c + "cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 5000");
        write("pids/" + c + "pids.current", "3");
        write("pids/" + c + "pids.max", "max");
        write("blkio/" + c + "blkio.io_serviced_recursive", "Total 0");
        write("blkio/" + c + "blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 512\nTotal 4608");
        write("blkio/" + c + "blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 2\nTotal 3");
        write("hugetlb/" + c + "hugetlb.2MB.usage_in_bytes", "2097152");
        write("hugetlb/" + c + "hugetlb.2MB.failcnt", "0");
        write("hugetlb/" + c + "hugetlb.2MB.max_usage_in_bytes", "2097152");

        List<CgroupSample> s = Cgroups.at(root).samples("/berth/default/web");
        assertEquals(1048576, value(s, "container_memory_usage_usage_bytes"));
        assertEquals(16777216, value(s, "container_memory_usage_limit_bytes"));
        assertEquals(2097152, value(s, "container_memory_usage_max_bytes"));
        assertEquals(4, value(s, "container_memory_usage_failcnt_total"));
        assertEquals(4096, value(s, "container_memory_cache_bytes"));
        assertEquals(8192, value(s, "container_memory_total_rss_bytes"));
        assertEquals(0, value(s, "container_memory_swap_usage_bytes"), "absent memsw files read as zero, as containerd");
        assertEquals(2, value(s, "container_memory_oom_total"));
        assertEquals(123456789, value(s, "container_cpu_total_nanoseconds"));
        assertEquals(70_000_000, value(s, "container_cpu_user_nanoseconds"), "7 ticks of 10 ms");
        assertEquals(30_000_000, value(s, "container_cpu_kernel_nanoseconds"));
        assertEquals(200, value(s, "container_per_cpu_nanoseconds", "1"));
        assertEquals(10, value(s, "container_cpu_throttle_periods_total"));
        assertEquals(2, value(s, "container_cpu_throttled_periods_total"));
        assertEquals(5000, value(s, "container_cpu_throttled_time_nanoseconds"));
        assertEquals(3, value(s, "container_pids_current"));
        assertEquals(0, value(s, "container_pids_limit"), "unlimited pids read as 0, as containerd");
        assertEquals(4096, value(s, "container_blkio_io_service_bytes_recursive_bytes", "Read", "", "8", "0"));
        assertEquals(2, value(s, "container_blkio_io_serviced_recursive_total", "Write", "", "8", "0"));
        assertEquals(2097152, value(s, "container_hugetlb_usage_bytes", "2MB"));

        // every family of containerd 1.6.20's v1 scrape (shared research) is produced
        Map<String, Long> names = s.stream().collect(Collectors.groupingBy(CgroupSample::name, Collectors.counting()));
        for (String n : List.of("container_memory_kerneltcp_usage_bytes", "container_memory_kernel_limit_bytes",
                "container_memory_hierarchical_memsw_limit_bytes", "container_memory_total_unevictable_bytes",
                "container_memory_pgfault_bytes", "container_memory_total_writeback_bytes")) {
            assertTrue(names.containsKey(n), n);
        }
        assertEquals(List.of(), Cgroups.at(root).samples("berth/default/gone"));
    }

    @Test
    void v2FamiliesAsContainerdNamesThem() throws Exception {
        write("cgroup.controllers", "cpuset cpu io memory pids");
        String c = "berth/default/web/";
        write(c + "memory.current", "1048576");
        write(c + "memory.max", "max");
        write(c + "memory.stat", "anon 4096\nfile 8192\nworkingset_refault 3");
        write(c + "memory.events", "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1");
        write(c + "cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 9");
        write(c + "pids.current", "3");
        write(c + "pids.max", "32");
        write(c + "io.stat", "8:0 rbytes=4096 wbytes=512 rios=1 wios=2 dbytes=0 dios=0");

        List<CgroupSample> s = Cgroups.at(root).samples("berth/default/web");
        assertEquals(2500, value(s, "container_cpu_usage_usec_microseconds"));
        assertEquals(500, value(s, "container_cpu_system_usec_microseconds"));
        assertEquals(4, value(s, "container_cpu_nr_periods_total"));
        assertEquals(1, value(s, "container_cpu_nr_throttled_total"));
        assertEquals(9, value(s, "container_cpu_throttled_usec_microseconds"));
        assertEquals(1048576, value(s, "container_memory_usage_bytes"));
        assertEquals(18446744073709551615.0, value(s, "container_memory_usage_limit_bytes"), "max as containerd reports it");
        assertEquals(4096, value(s, "container_memory_anon_bytes"));
        assertEquals(3, value(s, "container_memory_workingset_refault_bytes"));
        assertEquals(2, value(s, "container_memory_oom_total"));
        assertEquals(32, value(s, "container_pids_limit"));
        assertEquals(4096, value(s, "container_io_rbytes_bytes", "8", "0"));
        assertEquals(2, value(s, "container_io_wios_total", "8", "0"));
    }
}
