package dev.berth.engine.cgroups;

import dev.berth.engine.errdefs.BerthException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** cgroup v2: one unified hierarchy. Thread-safe. */
final class V2Cgroups implements Cgroups {
    private final Path root;
    private final V2Samples samples;

    V2Cgroups(Path root) {
        this.root = root;
        this.samples = new V2Samples(root);
    }

    @Override
    public CgroupVersion version() {
        return CgroupVersion.V2;
    }

    private Path dir(String rel) {
        return root.resolve(V1Cgroups.strip(rel));
    }

    @Override
    public boolean exists(String rel) {
        return Files.isDirectory(dir(rel));
    }

    private Path existing(String rel) {
        Path d = dir(rel);
        if (!Files.isDirectory(d)) {
            throw BerthException.notFound("cgroup %s does not exist under %s (v2)", rel, root);
        }
        return d;
    }

    @Override
    public CgroupStats stats(String rel) {
        Path d = existing(rel);
        Long usageUsec = CgroupFiles.keyed(d.resolve("cpu.stat"), "usage_usec");
        return new CgroupStats(
                CgroupFiles.number(d.resolve("memory.current")),
                CgroupFiles.number(d.resolve("memory.max")),
                usageUsec == null ? null : usageUsec * 1000,
                CgroupFiles.number(d.resolve("pids.current")),
                CgroupFiles.number(d.resolve("pids.max")),
                CgroupFiles.keyed(d.resolve("memory.events"), "oom_kill"));
    }

    @Override
    public java.util.List<CgroupSample> samples(String rel) {
        return exists(rel) ? samples.read(rel) : java.util.List.of();
    }

    @Override
    public java.util.List<Long> procs(String rel) {
        return exists(rel) ? CgroupFiles.pids(dir(rel).resolve("cgroup.procs")) : java.util.List.of();
    }

    @Override
    public CgroupSampler sampler() {
        return new KeptSampler(this, samples::read);
    }

    @Override
    public Resources limits(String rel) {
        Path d = existing(rel);
        Long low = CgroupFiles.number(d.resolve("memory.low"));
        Long weight = CgroupFiles.number(d.resolve("cpu.weight"));
        Long quota = null;
        Long period = null;
        String max = CgroupFiles.read(d.resolve("cpu.max"));
        if (max != null && !max.isEmpty()) {
            String[] parts = max.split("\\s+");
            quota = parts[0].equals("max") ? null : Long.parseLong(parts[0]);
            period = parts.length > 1 ? Long.parseLong(parts[1]) : null;
        }
        String cpus = CgroupFiles.read(d.resolve("cpuset.cpus"));
        return new Resources(
                CgroupFiles.number(d.resolve("memory.max")),
                low == null || low == 0 ? null : low,
                weight == null ? null : weightToShares(weight),
                quota,
                period,
                cpus == null || cpus.isEmpty() ? null : cpus,
                CgroupFiles.number(d.resolve("pids.max")));
    }

    /**
     * The v1 shares value that maps to {@code weight} under runc's conversion
     * {@code weight = 1 + ((shares - 2) * 9999) / 262142}; exact for the weights runc writes.
     */
    static long weightToShares(long weight) {
        if (weight <= 1) {
            return 2;
        }
        long shares = 2 + ((weight - 1) * 262142 + 9998) / 9999;
        while (sharesToWeight(shares - 1) == weight && shares > 2) {
            shares--;
        }
        return shares;
    }

    /** runc's conversion from v1 shares to v2 cpu.weight. */
    static long sharesToWeight(long shares) {
        return shares == 0 ? 0 : 1 + ((shares - 2) * 9999) / 262142;
    }

    @Override
    public Optional<Boolean> frozen(String rel) {
        Path d = dir(rel);
        try {
            String freeze = CgroupFiles.read(d.resolve("cgroup.freeze"));
            if ("0".equals(freeze)) {
                return Optional.of(false);
            }
            if (!"1".equals(freeze)) {
                return Optional.empty();
            }
            // asked to freeze; frozen only once every task has stopped (runc waits for this, we ask runc)
            Long frozen = CgroupFiles.keyed(d.resolve("cgroup.events"), "frozen");
            return frozen != null && frozen == 1 ? Optional.of(true) : Optional.empty();
        } catch (BerthException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public void removeEmpty(String rel) {
        if (V1Cgroups.strip(rel).isEmpty()) {
            throw BerthException.invalid("refusing to remove the root cgroup");
        }
        CgroupFiles.removeTree(dir(rel));
    }
}
