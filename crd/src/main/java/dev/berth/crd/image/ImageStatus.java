package dev.berth.crd.image;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.berth.crd.status.BerthStatus;
import java.util.Objects;

/** Observed state of an {@link Image}. Mutable bean, not thread-safe. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ImageStatus extends BerthStatus {
    private String digest;
    private Long size;
    private String platform;
    private String chainID;
    private String pulledAt;
    private String checkedAt;
    private Rollout rollout;

    /** Digest of the manifest or index the reference resolved to. */
    public String getDigest() {
        return digest;
    }

    public void setDigest(String digest) {
        this.digest = digest;
    }

    /** Total bytes of the manifest, config and layers for the selected platform. */
    public Long getSize() {
        return size;
    }

    public void setSize(Long size) {
        this.size = size;
    }

    /** The platform that was selected, {@code os/arch[/variant]}. */
    public String getPlatform() {
        return platform;
    }

    public void setPlatform(String platform) {
        this.platform = platform;
    }

    /** ChainID of the top layer once unpacked; absent until then. */
    public String getChainID() {
        return chainID;
    }

    public void setChainID(String chainID) {
        this.chainID = chainID;
    }

    /** When the content was last fetched from a registry (RFC 3339). */
    public String getPulledAt() {
        return pulledAt;
    }

    public void setPulledAt(String pulledAt) {
        this.pulledAt = pulledAt;
    }

    /** When the registry was last asked for the tag's digest (RFC 3339); absent without updateInterval. */
    public String getCheckedAt() {
        return checkedAt;
    }

    public void setCheckedAt(String checkedAt) {
        this.checkedAt = checkedAt;
    }

    /** The last rollout of a changed digest to the Containers using this Image; absent before the first. */
    public Rollout getRollout() {
        return rollout;
    }

    public void setRollout(Rollout rollout) {
        this.rollout = rollout;
    }

    /** Where a rollout stands. */
    public enum RolloutPhase {
        /** Containers are being moved to {@code to}, one at a time. */
        Progressing,
        /** Every Container runs {@code to}. */
        Complete,
        /**
         * A Container on {@code to} did not become Ready in its progress deadline: every Container runs
         * {@code from} again, which stays pinned, until the tag's digest changes again.
         */
        RolledBack
    }

    /**
     * One rollout of a new digest. Immutable.
     *
     * @param from the digest the Containers ran before (kept pinned in the image store as
     *        {@code <repository>@<from>} while a rollback may need it)
     * @param to the new digest
     * @param phase where it stands
     * @param updated Containers (names in the Image's namespace) already Ready on {@code to}, in the order they rolled
     * @param current the Container being rolled now, if any
     * @param currentSince when {@code current} was started on its way to {@code to} (RFC 3339)
     * @param message what happened last, e.g. the failing Container's probe output after a rollback
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Rollout(String from, String to, RolloutPhase phase, java.util.List<String> updated, String current,
            String currentSince, String message) {
        public Rollout {
            updated = updated == null ? java.util.List.of() : java.util.List.copyOf(updated);
        }
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof ImageStatus s && Objects.equals(digest, s.digest)
                && Objects.equals(size, s.size) && Objects.equals(platform, s.platform)
                && Objects.equals(chainID, s.chainID) && Objects.equals(pulledAt, s.pulledAt)
                && Objects.equals(checkedAt, s.checkedAt) && Objects.equals(rollout, s.rollout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), digest, size, platform, chainID, pulledAt, checkedAt, rollout);
    }
}
