package dev.berth.engine.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kept-descriptor sampler over fixture trees: same values as a fresh read, new values seen, files closed. */
class CgroupSamplerTest {
    @TempDir
    Path root;

    private static double value(List<CgroupSample> s, String name) {
        return s.stream().filter(x -> x.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(name + " missing")).value();
    }

    @Test
    void readsWhatAFreshReadReadsAndSeesNewValuesThroughTheKeptFiles() throws Exception {
        String c = "berth/default/web/";
        CgroupTrees.write(root, "memory/" + c + "memory.usage_in_bytes", "1048576");
        CgroupTrees.write(root, "memory/" + c + "memory.stat", "cache 4096\nrss 8192\ntotal_rss 8192");
        CgroupTrees.write(root, "pids/" + c + "pids.current", "3");
        CgroupTrees.write(root, "cpuacct/" + c + "cpuacct.usage_percpu", "100 200 ");
        CgroupTrees.write(root, "blkio/" + c + "blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\nTotal 4096");
        Cgroups cg = Cgroups.at(root);
        try (CgroupSampler s = cg.sampler()) {
            List<CgroupSample> first = s.sample("/berth/default/web");
            assertEquals(cg.samples("/berth/default/web"), first);
            assertEquals(1048576, value(first, "container_memory_usage_usage_bytes"));
            assertEquals(4096, value(first, "container_blkio_io_service_bytes_recursive_bytes"));
            int open = s.openFiles();
            assertTrue(open >= 5, "the files that exist stay open: " + open);

            // the kernel rewrites a cgroup file in place; so does this fixture
            Files.writeString(root.resolve("memory/" + c + "memory.usage_in_bytes"), "2097152\n");
            Files.writeString(root.resolve("pids/" + c + "pids.current"), "12\n");
            List<CgroupSample> second = s.sample("/berth/default/web");
            assertEquals(2097152, value(second, "container_memory_usage_usage_bytes"));
            assertEquals(12, value(second, "container_pids_current"));
            assertEquals(open, s.openFiles(), "no file opened twice, missing ones not retried");

            assertEquals(List.of(), s.sample("/berth/default/absent"), "a cgroup that does not exist reads empty");
            s.retain(Set.of());
            assertEquals(0, s.openFiles(), "files of cgroups no longer asked for are closed");
        }
    }

    @Test
    void keepsAQuarterOfTheOpenFileLimit() throws Exception {
        Path limits = root.resolve("limits");
        Files.writeString(limits, """
                Limit                     Soft Limit           Hard Limit           Units
                Max cpu time              unlimited            unlimited            seconds
                Max open files            20000                1048576              files
                """);
        assertEquals(5000, KeptSampler.budget(limits));
        Files.writeString(limits, "Max open files            unlimited            unlimited            files\n");
        assertEquals(65536, KeptSampler.budget(limits));
        assertEquals(1024, KeptSampler.budget(root.resolve("absent")));
    }
}
