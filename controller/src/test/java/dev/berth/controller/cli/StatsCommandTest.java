package dev.berth.controller.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.engine.cgroups.CgroupSample;
import dev.berth.engine.cgroups.CgroupStats;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CPU % and block I/O as podman stats computes them, from two readings and the cgroup samples. */
class StatsCommandTest {
    private static StatsCommand.Reading reading(long nanos, long cpu) {
        return new StatsCommand.Reading("default", "web", nanos, new CgroupStats(1L, 2L, cpu, 1L, null, 0L), 0, 0);
    }

    @Test
    void cpuPercentIsCpuTimeOverWallTime() {
        assertEquals(50.0, StatsCommand.cpuPercent(reading(0, 1_000_000_000L), reading(2_000_000_000L, 2_000_000_000L)));
        assertEquals(150.0, StatsCommand.cpuPercent(reading(0, 0), reading(1_000_000_000L, 1_500_000_000L)), "over one CPU");
        assertEquals(0.0, StatsCommand.cpuPercent(null, reading(1, 1)), "no earlier reading yet");
    }

    @Test
    void blockIoSumsReadsAndWritesOfEveryDeviceInBothCgroupVersions() {
        List<String> l = List.of("op", "device", "major", "minor");
        List<CgroupSample> v1 = List.of(
                new CgroupSample("container_blkio_io_service_bytes_recursive_bytes", "", l, List.of("Read", "/dev/sda", "8", "0"), 4096),
                new CgroupSample("container_blkio_io_service_bytes_recursive_bytes", "", l, List.of("Write", "/dev/sda", "8", "0"), 512),
                new CgroupSample("container_blkio_io_service_bytes_recursive_bytes", "", l, List.of("Total", "/dev/sda", "8", "0"), 4608),
                new CgroupSample("container_blkio_io_service_bytes_recursive_bytes", "", l, List.of("Read", "/dev/sdb", "8", "16"), 1));
        assertArrayEquals(new long[] {4097, 512}, StatsCommand.blockIo(v1));
        List<String> mm = List.of("major", "minor");
        assertArrayEquals(new long[] {10, 20}, StatsCommand.blockIo(List.of(
                new CgroupSample("container_io_rbytes_bytes", "", mm, List.of("8", "0"), 10),
                new CgroupSample("container_io_wbytes_bytes", "", mm, List.of("8", "0"), 20))));
    }
}
