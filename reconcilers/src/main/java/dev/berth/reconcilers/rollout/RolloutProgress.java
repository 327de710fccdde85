package dev.berth.reconcilers.rollout;

import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.container.DesiredState;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageStatus.Rollout;
import dev.berth.crd.image.ImageStatus.RolloutPhase;
import dev.berth.crd.status.Condition;

/**
 * Where one Container stands in its Image's rollout, as {@code berth rollout status container NAME}
 * (and the local API's {@code .../containers/NAME/rollout}) report it: read from the Image's
 * {@code status.rollout} and the Container's own status, nothing else. Immutable; {@link #of} is a
 * pure function.
 *
 * @param state {@code Complete} (runs the digest it should, Ready), {@code Progressing} (being moved, or
 *     waiting for its new task to become Ready), {@code Queued} (another Container of the Image moves
 *     first), {@code RolledBack} (the Image's rollout was rolled back), {@code Waiting} (no Image status yet)
 * @param done nothing more will change for this Container until the tag moves again
 * @param failed the rollout this Container was part of was rolled back because a Container did not
 *     become Ready in time (not when {@code berth rollout undo} asked for it)
 * @param runs the image digest its task runs (null before its first start)
 * @param wants the digest the rollout gives it
 * @param message one line for a person
 */
public record RolloutProgress(String state, boolean done, boolean failed, String runs, String wants, String message) {

    /** The progress of {@code c}, a Container of {@code image} (null when the Image does not exist). */
    public static RolloutProgress of(Image image, Container c) {
        String name = c.getMetadata().getName();
        ContainerStatus cs = c.getStatus();
        String runs = cs == null ? null : cs.getImageDigest();
        if (image == null || image.getStatus() == null || image.getStatus().getDigest() == null) {
            return new RolloutProgress("Waiting", false, false, runs, null, "Image " + c.getSpec().image()
                    + (image == null ? " does not exist" : " has not been pulled yet") + "; nothing to roll out");
        }
        String wants = Rollouts.digestFor(image, name);
        boolean ready = cs != null && cs.getPhase() == ContainerPhase.Running && cs.isReady() && wants.equals(runs);
        String readiness = cs == null ? "has no status yet" : cs.condition(Condition.READY)
                .map(r -> "is not Ready (" + r.reason() + ": " + r.message() + ")").orElse("is not Ready");
        Rollout r = image.getStatus().getRollout();
        String imageName = c.getSpec().image();
        if (r != null && r.phase() == RolloutPhase.RolledBack) {
            String back = ready ? "runs " + wants + " again" : "is going back to " + wants;
            boolean asked = r.message() != null && r.message().contains(ImageRollout.UNDONE);
            return new RolloutProgress("RolledBack", ready, !asked, runs, wants, "Image " + imageName + " rolled back: "
                    + r.message() + "; Container " + name + " " + back);
        }
        if (r != null && r.phase() == RolloutPhase.Progressing && !r.updated().contains(name)) {
            String where = r.updated().size() + " of the Image's Containers updated";
            if (name.equals(r.current())) {
                return new RolloutProgress("Progressing", false, false, runs, wants, "Container " + name + " is rolling "
                        + "from " + r.from() + " to " + r.to() + " (since " + r.currentSince() + ", progress deadline "
                        + c.getSpec().progressDeadline().toSeconds() + "s); it " + (wants.equals(runs) ? readiness
                        : "runs " + runs) + "; " + where);
            }
            return new RolloutProgress("Queued", false, false, runs, wants, "Image " + imageName + " rolls " + r.from()
                    + " to " + r.to() + " one Container at a time; " + where + ", now "
                    + (r.current() == null ? "none" : r.current()) + "; Container " + name + " waits its turn");
        }
        if (c.getSpec().state() == DesiredState.Stopped) {
            return new RolloutProgress("Complete", true, false, runs, wants, "Container " + name
                    + " is stopped (spec.state); it starts on " + wants + " when it is started");
        }
        if (ready) {
            return new RolloutProgress("Complete", true, false, runs, wants, "Container " + name + " runs " + wants
                    + " and is Ready" + (r != null && wants.equals(r.to()) ? " (rolled out from " + r.from() + ")" : ""));
        }
        return new RolloutProgress("Progressing", false, false, runs, wants, "Container " + name + " should run "
                + wants + " and " + (wants.equals(runs) ? readiness : "runs " + (runs == null ? "nothing yet" : runs)));
    }
}
