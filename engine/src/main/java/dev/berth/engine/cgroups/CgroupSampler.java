package dev.berth.engine.cgroups;

import java.util.List;
import java.util.Set;

/**
 * Reads containerd's metric families ({@link CgroupSample}) of many cgroups again and again, as a
 * metrics scrape does: it keeps each cgroup's files open between reads and reads them again from
 * offset 0 (the kernel regenerates a cgroup file's content on every read), so a scrape costs one
 * read per file and no path lookups, opens or closes. Descriptors are bounded: past a share of the
 * process's open-file limit, further files are opened and closed per read. A cgroup that is removed
 * reads as gone (empty) and its descriptors are closed; {@link #retain} closes those of cgroups no
 * longer asked for. Thread-safe (calls are serialised).
 */
public interface CgroupSampler extends AutoCloseable {
    /** The samples of the cgroup now, as {@link Cgroups#samples}; empty when it does not exist. */
    List<CgroupSample> sample(String relativePath);

    /** Closes the files of every cgroup not in {@code relativePaths}. */
    void retain(Set<String> relativePaths);

    /** How many descriptors are kept open now (for tests and measurements). */
    int openFiles();

    /** Closes every kept file. */
    @Override
    void close();
}
