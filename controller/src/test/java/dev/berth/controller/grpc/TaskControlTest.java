package dev.berth.controller.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.api.cgroups.v1.Metrics;
import dev.berth.engine.cgroups.CgroupSample;
import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.OciJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tasks/Update's LinuxResources reading and Tasks/Metrics' v1 and v2 payloads, without a daemon. */
class TaskControlTest {
    private static Resources parse(String json) {
        return TaskControl.resources(OciJson.MAPPER.readTree(json));
    }

    @Test
    void theFieldsCtrSendsBecomeResources() {
        Resources r = parse("{\"memory\":{\"limit\":67108864},\"cpu\":{\"quota\":50000,\"period\":100000,\"shares\":512,"
                + "\"cpus\":\"0\"},\"pids\":{\"limit\":64},\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}");
        assertEquals(new Resources(67108864L, null, 512L, 50000L, 100000L, "0", 64L), r);
        assertEquals(Resources.NONE, parse("{\"memory\":{\"limit\":0}}"), "0 leaves a value as it is");
    }

    @Test
    void whatCannotBeUpdatedIsRefusedByName() {
        var swap = assertThrows(BerthException.class, () -> parse("{\"memory\":{\"swap\":1}}"));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, swap.category());
        assertTrue(swap.getMessage().contains("resources.memory.swap"), swap.getMessage());
        var blkio = assertThrows(BerthException.class, () -> parse("{\"blockIO\":{\"weight\":10}}"));
        assertTrue(blkio.getMessage().contains("resources.blockIO"), blkio.getMessage());
        var text = assertThrows(BerthException.class, () -> parse("{\"memory\":{\"limit\":\"1G\"}}"));
        assertTrue(text.getMessage().contains("memory.limit"), text.getMessage());
    }

    private static CgroupSample s(String name, double v) {
        return new CgroupSample(name, "", List.of(), List.of(), v);
    }

    @Test
    void samplesBecomeContainerdsV1Metrics() throws Exception {
        var any = CgroupV1Metrics.of(List.of(s("container_cpu_total_nanoseconds", 900),
                new CgroupSample("container_per_cpu_nanoseconds", "", List.of("cpu"), List.of("1"), 400),
                new CgroupSample("container_per_cpu_nanoseconds", "", List.of("cpu"), List.of("0"), 500),
                s("container_memory_usage_limit_bytes", 1 << 20), s("container_memory_usage_usage_bytes", 4096),
                s("container_memory_kerneltcp_usage_bytes", 8), s("container_memory_kernel_usage_bytes", 16),
                s("container_memory_total_cache_bytes", 1024), s("container_memory_pgmajfault_bytes", 3),
                s("container_memory_hierarchical_memsw_limit_bytes", 77), s("container_pids_current", 2),
                new CgroupSample("container_blkio_io_serviced_recursive_total", "", List.of("op", "device", "major", "minor"),
                        List.of("Read", "/dev/sda", "8", "0"), 5),
                new CgroupSample("container_hugetlb_usage_bytes", "", List.of("page"), List.of("2MB"), 0)));
        assertEquals(CgroupV1Metrics.TYPE, any.getTypeUrl());
        Metrics m = Metrics.parseFrom(any.getValue());
        assertEquals(900, m.getCpu().getUsage().getTotal());
        assertEquals(List.of(500L, 400L), m.getCpu().getUsage().getPerCpuList());
        assertEquals(1 << 20, m.getMemory().getUsage().getLimit());
        assertEquals(4096, m.getMemory().getUsage().getUsage());
        assertEquals(8, m.getMemory().getKernelTcp().getUsage());
        assertEquals(16, m.getMemory().getKernel().getUsage());
        assertEquals(1024, m.getMemory().getTotalCache());
        assertEquals(3, m.getMemory().getPgMajFault());
        assertEquals(77, m.getMemory().getHierarchicalSwapLimit());
        assertEquals(2, m.getPids().getCurrent());
        assertEquals("/dev/sda", m.getBlkio().getIoServicedRecursive(0).getDevice());
        assertEquals(5, m.getBlkio().getIoServicedRecursive(0).getValue());
        assertEquals("2MB", m.getHugetlb(0).getPagesize());
    }

    /**
     * A v2 tree as the kernel lays it out (this node runs v1, so it is written to a temp dir), read by
     * the engine's own v2 reader and turned into containerd's v2 message: what Tasks/Metrics sends on
     * a unified node.
     */
    @Test
    void v2SamplesBecomeContainerdsV2Metrics(@TempDir Path root) throws Exception {
        write(root, "cgroup.controllers", "cpuset cpu io memory pids");
        String c = "berth/default/web/";
        write(root, c + "memory.current", "1048576");
        write(root, c + "memory.max", "max");
        write(root, c + "memory.swap.current", "0");
        write(root, c + "memory.swap.max", "67108864");
        write(root, c + "memory.stat", "anon 4096\nfile 8192\nslab_reclaimable 7\npgmajfault 3\nworkingset_refault 2");
        write(root, c + "memory.events", "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1");
        write(root, c + "cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\n"
                + "throttled_usec 9");
        write(root, c + "pids.current", "3");
        write(root, c + "pids.max", "32");
        write(root, c + "io.stat", "8:0 rbytes=4096 wbytes=512 rios=1 wios=2 dbytes=0 dios=0\n"
                + "8:16 rbytes=1 wbytes=0 rios=1 wios=0 dbytes=0 dios=0");
        var samples = Cgroups.at(root).samples("berth/default/web");
        assertTrue(CgroupV2Metrics.isV2(samples));
        assertFalse(CgroupV2Metrics.isV2(List.of(s("container_cpu_total_nanoseconds", 1))), "v1 samples");

        var any = CgroupV2Metrics.of(samples);
        assertEquals("io.containerd.cgroups.v2.Metrics", any.getTypeUrl());
        var m = dev.berth.api.cgroups.v2.Metrics.parseFrom(any.getValue());
        assertEquals(2500, m.getCpu().getUsageUsec());
        assertEquals(2000, m.getCpu().getUserUsec());
        assertEquals(500, m.getCpu().getSystemUsec());
        assertEquals(4, m.getCpu().getNrPeriods());
        assertEquals(1, m.getCpu().getNrThrottled());
        assertEquals(9, m.getCpu().getThrottledUsec());
        assertEquals(1048576, m.getMemory().getUsage());
        assertEquals(-1L, m.getMemory().getUsageLimit(), "max is 2^64-1 on the wire, as containerd sends it");
        assertEquals("18446744073709551615", Long.toUnsignedString(m.getMemory().getUsageLimit()));
        assertEquals(67108864, m.getMemory().getSwapLimit());
        assertEquals(4096, m.getMemory().getAnon());
        assertEquals(8192, m.getMemory().getFile());
        assertEquals(7, m.getMemory().getSlabReclaimable());
        assertEquals(3, m.getMemory().getPgmajfault());
        assertEquals(2, m.getMemory().getWorkingsetRefault());
        assertEquals(2, m.getMemoryEvents().getOom());
        assertEquals(3, m.getPids().getCurrent());
        assertEquals(32, m.getPids().getLimit());
        assertEquals(2, m.getIo().getUsageCount());
        var sda = m.getIo().getUsage(0);
        assertEquals(List.of(8L, 0L, 4096L, 512L, 1L, 2L),
                List.of(sda.getMajor(), sda.getMinor(), sda.getRbytes(), sda.getWbytes(), sda.getRios(), sda.getWios()));
        assertEquals(16, m.getIo().getUsage(1).getMinor());
    }

    private static void write(Path root, String rel, String content) throws Exception {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content + "\n");
    }
}
