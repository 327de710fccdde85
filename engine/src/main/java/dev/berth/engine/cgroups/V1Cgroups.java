package dev.berth.engine.cgroups;

import dev.berth.engine.errdefs.BerthException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * cgroup v1: one hierarchy per controller under the mount root ({@code memory/}, {@code cpu/},
 * {@code cpuacct/}, {@code cpuset/}, {@code pids/}). Combined mounts such as {@code cpu,cpuacct}
 * are reached through the usual {@code cpu} and {@code cpuacct} symlinks. Thread-safe.
 */
final class V1Cgroups implements Cgroups {
    /** v1 reports "unlimited" as the largest page-aligned long. */
    private static final long V1_UNLIMITED = 0x7FFFFFFFFFFFF000L;
    private static final List<String> CONTROLLERS = List.of("memory", "cpu", "cpuacct", "cpuset", "pids",
            "blkio", "devices", "freezer", "net_cls", "net_prio", "perf_event", "hugetlb", "rdma", "systemd", "unified");

    private final Path root;
    private final V1Samples samples;

    V1Cgroups(Path root) {
        this.root = root;
        this.samples = new V1Samples(root);
    }

    @Override
    public CgroupVersion version() {
        return CgroupVersion.V1;
    }

    private Path dir(String controller, String rel) {
        return root.resolve(controller).resolve(strip(rel));
    }

    static String strip(String rel) {
        String r = rel;
        while (r.startsWith("/")) {
            r = r.substring(1);
        }
        return r;
    }

    @Override
    public boolean exists(String rel) {
        return Files.isDirectory(dir("memory", rel)) || Files.isDirectory(dir("pids", rel));
    }

    private void requireExists(String rel) {
        if (!exists(rel)) {
            throw BerthException.notFound("cgroup %s does not exist under %s (v1)", rel, root);
        }
    }

    private static Long unlimitedAsNull(Long v) {
        return v == null || v >= V1_UNLIMITED ? null : v;
    }

    @Override
    public CgroupStats stats(String rel) {
        requireExists(rel);
        Path mem = dir("memory", rel);
        return new CgroupStats(
                CgroupFiles.number(mem.resolve("memory.usage_in_bytes")),
                unlimitedAsNull(CgroupFiles.number(mem.resolve("memory.limit_in_bytes"))),
                CgroupFiles.number(dir("cpuacct", rel).resolve("cpuacct.usage")),
                CgroupFiles.number(dir("pids", rel).resolve("pids.current")),
                CgroupFiles.number(dir("pids", rel).resolve("pids.max")),
                CgroupFiles.keyed(mem.resolve("memory.oom_control"), "oom_kill"));
    }

    @Override
    public java.util.List<CgroupSample> samples(String rel) {
        return exists(rel) ? samples.read(rel) : java.util.List.of();
    }

    @Override
    public java.util.List<Long> procs(String rel) {
        for (String c : List.of("pids", "memory", "freezer")) {
            Path d = dir(c, rel);
            if (Files.isDirectory(d)) {
                return CgroupFiles.pids(d.resolve("cgroup.procs"));
            }
        }
        return List.of();
    }

    @Override
    public CgroupSampler sampler() {
        return new KeptSampler(this, samples::read);
    }

    @Override
    public Resources limits(String rel) {
        requireExists(rel);
        Path mem = dir("memory", rel);
        Path cpu = dir("cpu", rel);
        Long quota = CgroupFiles.number(cpu.resolve("cpu.cfs_quota_us"));
        String cpus = CgroupFiles.read(dir("cpuset", rel).resolve("cpuset.cpus"));
        return new Resources(
                unlimitedAsNull(CgroupFiles.number(mem.resolve("memory.limit_in_bytes"))),
                unlimitedAsNull(CgroupFiles.number(mem.resolve("memory.soft_limit_in_bytes"))),
                CgroupFiles.number(cpu.resolve("cpu.shares")),
                quota == null || quota < 0 ? null : quota,
                CgroupFiles.number(cpu.resolve("cpu.cfs_period_us")),
                cpus == null || cpus.isEmpty() ? null : cpus,
                CgroupFiles.number(dir("pids", rel).resolve("pids.max")));
    }

    @Override
    public Optional<Boolean> frozen(String rel) {
        Path dir = dir("freezer", rel);
        try {
            String state = CgroupFiles.read(dir.resolve("freezer.state"));
            if ("THAWED".equals(state)) {
                return Optional.of(false);
            }
            if (!"FROZEN".equals(state)) {
                return Optional.empty();
            }
            // FROZEN is the effective state: an ancestor's freeze shows here too, and runc calls that thawed
            String self = CgroupFiles.read(dir.resolve("freezer.self_freezing"));
            return "1".equals(self) ? Optional.of(true) : "0".equals(self) ? Optional.of(false) : Optional.empty();
        } catch (BerthException e) {
            return Optional.empty();
        }
    }

    @Override
    public void removeEmpty(String rel) {
        if (strip(rel).isEmpty()) {
            throw BerthException.invalid("refusing to remove the root cgroup");
        }
        for (String c : CONTROLLERS) {
            CgroupFiles.removeTree(dir(c, rel));
        }
    }
}
