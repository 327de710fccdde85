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

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof ImageStatus s && Objects.equals(digest, s.digest)
                && Objects.equals(size, s.size) && Objects.equals(platform, s.platform)
                && Objects.equals(chainID, s.chainID) && Objects.equals(pulledAt, s.pulledAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), digest, size, platform, chainID, pulledAt);
    }
}
