package dev.berth.controller.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.api.cgroups.v1.Metrics;
import dev.berth.engine.cgroups.CgroupSample;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.OciJson;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tasks/Update's LinuxResources reading and Tasks/Metrics' v1 payload, without a daemon. */
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
        var any = CgroupV1Metrics.of("c1", List.of(s("container_cpu_total_nanoseconds", 900),
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

    @Test
    void v2SamplesAreRefusedAsUnimplemented() {
        var e = assertThrows(BerthException.class, () -> CgroupV1Metrics.of("c1",
                List.of(s("container_cpu_usage_usec_microseconds", 1))));
        assertEquals(ErrorCategory.NOT_IMPLEMENTED, e.category());
    }
}
