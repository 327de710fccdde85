package dev.berth.reconcilers.rollout;

import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageStatus;
import dev.berth.crd.image.ImageStatus.Rollout;
import dev.berth.engine.remotes.Reference;

/**
 * Which digest of an Image each Container runs while the Image rolls a new digest out: the rollout
 * state lives in the Image's status ({@link ImageStatus#getRollout()}), and every Container asks here
 * instead of reading {@code status.digest}, so only the Container being rolled (and those already
 * rolled) move to the new digest. Stateless and thread-safe.
 */
public final class Rollouts {
    /** Label on the image records that keep a rollback's digest (value: the Image object, namespace/name). */
    public static final String PIN_LABEL = "berth.dev/rollout-pin";

    private Rollouts() {
    }

    /** The digest Container {@code container} (a name in the Image's namespace) should run now. */
    public static String digestFor(Image image, String container) {
        ImageStatus st = image.getStatus();
        Rollout r = st.getRollout();
        if (r == null) {
            return st.getDigest();
        }
        if (r.phase() == ImageStatus.RolloutPhase.RolledBack) {
            // pinned until the tag moves on (a new rollout then starts from here)
            return r.from();
        }
        if (!r.to().equals(st.getDigest())) {
            return st.getDigest();
        }
        return switch (r.phase()) {
            case Complete -> r.to();
            case Progressing -> r.updated().contains(container) || container.equals(r.current()) ? r.to() : r.from();
            case RolledBack -> r.from();
        };
    }

    /**
     * The engine image record holding {@code digest}: the Image's own record (its reference) for the
     * digest the tag points at, the pinned {@code <repository>@<digest>} record for an older one.
     */
    public static String imageName(Image image, String digest) {
        Reference ref = Reference.parse(image.getSpec().ref());
        return digest == null || digest.equals(image.getStatus().getDigest()) ? ref.toString() : pinName(ref, digest);
    }

    /** The record name that pins {@code digest} of {@code ref}'s repository. */
    static String pinName(Reference ref, String digest) {
        return ref.name() + "@" + digest;
    }

    /** What moving a container to {@code digest} is: RolledOut, RolledBack, or Recreated (no rollout). */
    public static String action(Image image, String digest) {
        Rollout r = image.getStatus().getRollout();
        if (r != null && digest != null && digest.equals(r.to())) {
            return "RolledOut";
        }
        if (r != null && digest != null && digest.equals(r.from()) && r.phase() == ImageStatus.RolloutPhase.RolledBack) {
            return "RolledBack";
        }
        return "Recreated";
    }
}
