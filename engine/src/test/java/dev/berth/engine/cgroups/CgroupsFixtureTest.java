package dev.berth.engine.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** v1 and v2 readers over fake cgroup trees holding the files the kernel would. */
class CgroupsFixtureTest {
    @TempDir
    Path root;

    private void write(String rel, String content) throws Exception {
        CgroupTrees.write(root, rel, content);
    }

    @Test
    void v2StatsAndLimits() throws Exception {
        write("cgroup.controllers", "cpuset cpu io memory pids");
        String c = "berth/default/web/";
        write(c + "memory.current", "1048576");
        write(c + "memory.max", "16777216");
        write(c + "memory.low", "8388608");
        write(c + "memory.events", "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0");
        write(c + "cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500");
        write(c + "cpu.weight", Long.toString(V2Cgroups.sharesToWeight(512)));
        write(c + "cpu.max", "50000 100000");
        write(c + "cpuset.cpus", "0-1");
        write(c + "pids.current", "3");
        write(c + "pids.max", "32");

        Cgroups cg = Cgroups.at(root);
        assertEquals(CgroupVersion.V2, cg.version());
        assertTrue(cg.exists("/berth/default/web"));
        CgroupStats s = cg.stats("/berth/default/web");
        assertEquals(new CgroupStats(1048576L, 16777216L, 2_500_000L, 3L, 32L, 1L), s);
        Resources r = cg.limits("berth/default/web");
        // cpu.weight is coarser than shares: the read-back is the smallest shares value of the same weight
        assertEquals(Resources.cpuWeight(512), Resources.cpuWeight(r.cpuShares()));
        assertEquals(new Resources(16777216L, 8388608L, r.cpuShares(), 50000L, 100000L, "0-1", 32L), r);

        write(c + "memory.max", "max");
        write(c + "cpu.max", "max 100000");
        write(c + "pids.max", "max");
        write(c + "memory.low", "0");
        Resources unlimited = cg.limits("berth/default/web");
        assertNull(unlimited.memoryLimit());
        assertNull(unlimited.memoryReservation());
        assertNull(unlimited.cpuQuota());
        assertEquals(100000L, unlimited.cpuPeriod());
        assertNull(unlimited.pidsLimit());
        assertNull(cg.stats("berth/default/web").memoryLimit());

        BerthException e = assertThrows(BerthException.class, () -> cg.stats("berth/default/gone"));
        assertEquals(ErrorCategory.NOT_FOUND, e.category());

        cg.removeEmpty("berth");
        assertFalse(Files.exists(root.resolve("berth")));
        assertThrows(BerthException.class, () -> cg.removeEmpty("/"));
    }

    @Test
    void sharesWeightConversionRoundTripsForRuncsValues() {
        for (long shares : new long[] {2, 3, 100, 512, 1024, 2048, 10000, 262144}) {
            long w = V2Cgroups.sharesToWeight(shares);
            long back = V2Cgroups.weightToShares(w);
            assertEquals(w, V2Cgroups.sharesToWeight(back), "shares " + shares);
        }
        assertEquals(1, V2Cgroups.sharesToWeight(2));
        assertEquals(10000, V2Cgroups.sharesToWeight(262144));
    }

    @Test
    void v1StatsAndLimitsAcrossControllers() throws Exception {
        String c = "/berth/default/db/";
        write("memory" + c + "memory.usage_in_bytes", "2097152");
        write("memory" + c + "memory.limit_in_bytes", "33554432");
        write("memory" + c + "memory.soft_limit_in_bytes", "9223372036854771712");
        write("memory" + c + "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3");
        write("cpuacct" + c + "cpuacct.usage", "123456789");
        write("cpu" + c + "cpu.shares", "1024");
        write("cpu" + c + "cpu.cfs_quota_us", "-1");
        write("cpu" + c + "cpu.cfs_period_us", "100000");
        write("cpuset" + c + "cpuset.cpus", "1");
        write("pids" + c + "pids.current", "5");
        write("pids" + c + "pids.max", "max");

        Cgroups cg = Cgroups.at(root);
        assertEquals(CgroupVersion.V1, cg.version());
        assertEquals(new CgroupStats(2097152L, 33554432L, 123456789L, 5L, null, 3L), cg.stats(c));
        assertEquals(new Resources(33554432L, null, 1024L, null, 100000L, "1", null), cg.limits(c));
        cg.removeEmpty("/berth");
        assertFalse(Files.exists(root.resolve("memory/berth")));
        assertFalse(Files.exists(root.resolve("pids/berth")));
    }

    @Test
    void v1FreezerIsFrozenOnlyWhenFrozenByItself() throws Exception {
        String c = "freezer/berth/default/p/";
        Files.createDirectories(root.resolve("memory"));
        Cgroups cg = Cgroups.at(root);
        assertEquals(Optional.empty(), cg.frozen("berth/default/p"), "no freezer files: cannot tell");
        write(c + "freezer.state", "THAWED");
        write(c + "freezer.self_freezing", "0");
        assertEquals(Optional.of(false), cg.frozen("/berth/default/p"));
        write(c + "freezer.state", "FROZEN");
        write(c + "freezer.self_freezing", "1");
        assertEquals(Optional.of(true), cg.frozen("/berth/default/p"));
        // frozen through an ancestor: runc reports the container as not paused
        write(c + "freezer.self_freezing", "0");
        assertEquals(Optional.of(false), cg.frozen("/berth/default/p"));
        write(c + "freezer.self_freezing", "2");
        assertEquals(Optional.empty(), cg.frozen("/berth/default/p"));
        Files.delete(root.resolve(c + "freezer.self_freezing"));
        assertEquals(Optional.empty(), cg.frozen("/berth/default/p"));
        write(c + "freezer.state", "FREEZING");
        assertEquals(Optional.empty(), cg.frozen("/berth/default/p"), "in transition: ask runc");
        write(c + "freezer.state", "");
        assertEquals(Optional.empty(), cg.frozen("/berth/default/p"));
    }

    @Test
    void v2FreezerIsFrozenOnceTheKernelSaysSo() throws Exception {
        write("cgroup.controllers", "cpu memory pids");
        String c = "berth/default/p/";
        Cgroups cg = Cgroups.at(root);
        assertEquals(Optional.empty(), cg.frozen("berth/default/p"));
        write(c + "cgroup.freeze", "0");
        write(c + "cgroup.events", "populated 1\nfrozen 0");
        assertEquals(Optional.of(false), cg.frozen("berth/default/p"));
        write(c + "cgroup.freeze", "1");
        assertEquals(Optional.empty(), cg.frozen("berth/default/p"), "asked to freeze, not frozen yet");
        write(c + "cgroup.events", "populated 1\nfrozen 1");
        assertEquals(Optional.of(true), cg.frozen("/berth/default/p"));
        Files.delete(root.resolve(c + "cgroup.events"));
        assertEquals(Optional.empty(), cg.frozen("berth/default/p"));
        write(c + "cgroup.events", "populated 1\nfrozen x");
        assertEquals(Optional.empty(), cg.frozen("berth/default/p"));
        write(c + "cgroup.freeze", "maybe");
        assertEquals(Optional.empty(), cg.frozen("berth/default/p"));
    }

    @Test
    void procsAreReadFromCgroupProcsInEitherVersion() throws Exception {
        write("pids/berth/default/ps/cgroup.procs", "42\n4711\n");
        write("memory/berth/default/ps/cgroup.procs", "1\n");
        Cgroups v1 = Cgroups.at(root);
        assertEquals(java.util.List.of(42L, 4711L), v1.procs("/berth/default/ps"), "the pids hierarchy first");
        assertEquals(java.util.List.of(), v1.procs("berth/default/none"));
    }

    @Test
    void v2ProcsFromTheUnifiedTree(@TempDir Path v2) throws Exception {
        CgroupTrees.write(v2, "cgroup.controllers", "cpu memory pids");
        CgroupTrees.write(v2, "berth/default/ps/cgroup.procs", "7\n");
        Cgroups cg = Cgroups.at(v2);
        assertEquals(CgroupVersion.V2, cg.version());
        assertEquals(java.util.List.of(7L), cg.procs("berth/default/ps"));
        assertEquals(java.util.List.of(), cg.procs("berth/default/gone"));
    }
}
