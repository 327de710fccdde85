package dev.berth.crd.snapshot;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.berth.crd.status.BerthStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Observed state of a {@link Snapshot}. Mutable bean, not thread-safe. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SnapshotStatus extends BerthStatus {
    private String key;
    private String parentChainID;
    private List<MountInfo> mounts = new ArrayList<>();
    private Boolean mounted;
    private Usage usage;

    /** Snapshotter key of the snapshot. */
    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
    }

    /** ChainID (committed snapshot) it was prepared from. */
    public String getParentChainID() {
        return parentChainID;
    }

    public void setParentChainID(String parentChainID) {
        this.parentChainID = parentChainID;
    }

    /** The mounts that assemble the snapshot's filesystem (containerd {@code Mounts}). */
    public List<MountInfo> getMounts() {
        return mounts;
    }

    public void setMounts(List<MountInfo> mounts) {
        this.mounts = mounts == null ? new ArrayList<>() : new ArrayList<>(mounts);
    }

    /** Whether it is mounted at {@code spec.mountPath} right now. */
    public Boolean getMounted() {
        return mounted;
    }

    public void setMounted(Boolean mounted) {
        this.mounted = mounted;
    }

    /** Disk usage of the snapshot's own layer. */
    public Usage getUsage() {
        return usage;
    }

    public void setUsage(Usage usage) {
        this.usage = usage;
    }

    /** One mount: type, source and options, as in a containerd mount list. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record MountInfo(String type, String source, List<String> options) {
    }

    /** Bytes and inodes used. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Usage(Long bytes, Long inodes) {
    }

    @Override
    public SnapshotStatus copy() {
        SnapshotStatus c = (SnapshotStatus) super.copy();
        c.mounts = mounts == null ? null : new ArrayList<>(mounts);
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof SnapshotStatus s && Objects.equals(key, s.key)
                && Objects.equals(parentChainID, s.parentChainID) && Objects.equals(mounts, s.mounts)
                && Objects.equals(mounted, s.mounted) && Objects.equals(usage, s.usage);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), key, parentChainID, mounts, mounted, usage);
    }
}
