package dev.berth.reconcilers.rollout;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.container.DesiredState;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageStatus;
import dev.berth.crd.image.ImageStatus.Rollout;
import dev.berth.crd.image.ImageStatus.RolloutPhase;
import dev.berth.crd.status.Condition;
import dev.berth.crd.status.Conditions;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.ImageStore;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.remotes.Reference;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.ObjectLookup;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Rolls a changed image digest out to the Containers that use the Image, one at a time, as a
 * Deployment's rolling update with one replica per Container: the Image's status says which
 * Container moves next ({@link Rollouts#digestFor}), that Container's own reconcile recreates it on
 * the new digest, and this class waits until it runs the new digest and is Ready (startup and
 * readiness probes passed) before it moves the next one. A Container that is not Ready within its
 * {@code spec.progressDeadlineSeconds} rolls the whole rollout back: every Container returns to the
 * previous digest, which stays pinned (an image record {@code <repository>@<digest>}, a garbage
 * collection root), and the Image says {@code Degraded=True reason=RolledBack} with the failing
 * Container's probe output until the tag's digest changes again.
 *
 * <p>All of its state is in the Image's status (and the Containers' statuses it reads), so a daemon
 * killed in the middle resumes where the status says: the Container being rolled either becomes
 * Ready or runs out of its deadline, measured from the recorded start. A Container moves as a surge
 * (its new task starts next to the old one, which goes only once the new one is Ready; see the
 * Container reconciler's {@code Surges}), except a Container in a Sandbox, which is recreated in
 * place: its gap is its restart (stop, create, start) plus the time its new task needs to be Ready. Thread-safe (one reconcile per Image at a
 * time; the Containers it wakes are reconciled on their own).
 */
public final class ImageRollout {
    /** How often a rollout in progress looks at the Container it waits for. */
    static final Duration TICK = Duration.ofSeconds(1);

    private final ImageStore images;
    private final ObjectLookup lookup;
    private final EventSink events;
    private final Consumer<ObjectRef> enqueue;

    public ImageRollout(ImageStore images, ObjectLookup lookup, EventSink events, Consumer<ObjectRef> enqueue) {
        this.images = images;
        this.lookup = lookup;
        this.events = events;
        this.enqueue = enqueue;
    }

    /**
     * The tag moved from {@code previous} (the record's old target; null when there was none) to
     * {@code to}: pins what the Containers run and starts rolling {@code to} out.
     */
    public void start(ObjectRef me, Image image, ImageStatus st, Descriptor previous, String to, Clock clock) {
        Rollout last = st.getRollout();
        String from = last != null && last.phase() == RolloutPhase.RolledBack ? last.from()
                : previous == null ? null : previous.digest().toString();
        if (from == null || from.equals(to)) {
            st.setRollout(new Rollout(from, to, RolloutPhase.Complete, List.of(), null, null,
                    "the tag points at " + to + " again, which every Container runs"));
            return;
        }
        Reference ref = Reference.parse(image.getSpec().ref());
        if (previous != null && previous.digest().toString().equals(from)) {
            images.put(dev.berth.engine.images.Image.of(Rollouts.pinName(ref, from), previous)
                    .withLabels(Map.of(PIN, me.namespace() + "/" + me.name())));
        }
        unpinAllBut(me, from);
        clearUndo(me);
        st.setRollout(new Rollout(from, to, RolloutPhase.Progressing, List.of(), null, null,
                "rolling " + to + " out, one Container at a time"));
        events.normal(me, "RolloutStarted", "tag " + ref + " moved from " + from + " to " + to
                + "; rolling it out to " + users(me).size() + " Container(s) one at a time (" + from + " stays pinned)");
    }

    private static final String PIN = Rollouts.PIN_LABEL;

    /**
     * Moves the rollout on; the delay after which the Image should look again while Containers still
     * have to move, empty when nothing is in progress.
     */
    public Optional<Duration> step(ObjectRef me, ImageStatus st, Clock clock) {
        Rollout asked = st.getRollout();
        if (asked == null) {
            return Optional.empty();
        }
        if (asked.phase() == RolloutPhase.RolledBack) {
            clearUndo(me); // the stored status says RolledBack: a request it took has done its work
        }
        Optional<String> undo = asked.phase() == RolloutPhase.RolledBack ? Optional.empty() : undoRequest(me, asked);
        if (undo.isPresent()) {
            Rollout r = asked;
            String message = "rolled back to " + r.from() + " " + UNDONE + " (asked for Container " + undo.get()
                    + "); it stays pinned until the tag's digest changes again";
            st.setRollout(new Rollout(r.from(), r.to(), RolloutPhase.RolledBack, List.of(), null, null, message));
            events.warning(me, "RolledBack", message);
        }
        Rollout r = st.getRollout();
        if (r.phase() == RolloutPhase.Complete) {
            return Optional.empty();
        }
        List<Container> users = users(me);
        if (r.phase() == RolloutPhase.RolledBack) {
            st.setCondition(Condition.of(Condition.DEGRADED, true, "RolledBack", r.message()), clock);
            boolean moving = false;
            for (Container c : users) {
                if (runs(c, r.to())) {
                    enqueue.accept(ObjectRef.of(c));
                    moving = true;
                }
            }
            return moving ? Optional.of(TICK) : Optional.empty();
        }
        Instant now = clock.instant();
        List<String> updated = new ArrayList<>(r.updated());
        String current = r.current();
        String since = r.currentSince();
        if (current != null) {
            Optional<Container> c = users.stream().filter(u -> u.getMetadata().getName().equals(r.current())).findFirst();
            if (c.isEmpty()) {
                current = null;
            } else if (readyOn(c.get(), r.to())) {
                updated.add(current);
                events.normal(ObjectRef.of(c.get()), "RolledOut", "runs " + r.to() + " and is Ready ("
                        + updated.size() + "/" + users.size() + ")");
                current = null;
            } else if (now.isAfter(Instant.parse(since).plus(c.get().getSpec().progressDeadline()))) {
                return Optional.of(rollBack(me, st, r, c.get(), clock, users));
            } else {
                if (!runs(c.get(), r.to())) {
                    enqueue.accept(ObjectRef.of(c.get()));
                }
                st.setRollout(new Rollout(r.from(), r.to(), r.phase(), updated, current, since, r.message()));
                return Optional.of(TICK);
            }
        }
        for (Container c : users) {
            String name = c.getMetadata().getName();
            if (updated.contains(name)) {
                continue;
            }
            if (c.getSpec().state() == DesiredState.Stopped || readyOn(c, r.to())) {
                // a stopped Container starts on the new digest whenever it is started
                updated.add(name);
                continue;
            }
            st.setRollout(new Rollout(r.from(), r.to(), r.phase(), updated, name, Conditions.format(now),
                    "rolling Container " + name + " to " + r.to() + " (" + (updated.size() + 1) + "/" + users.size() + ")"));
            events.normal(me, "Rolling", "rolling Container " + name + " to " + r.to() + " (" + (updated.size() + 1)
                    + "/" + users.size() + ", progress deadline " + c.getSpec().progressDeadline().toSeconds() + "s)");
            enqueue.accept(ObjectRef.of(c));
            return Optional.of(TICK);
        }
        st.setRollout(new Rollout(r.from(), r.to(), RolloutPhase.Complete, updated, null, null,
                "every Container runs " + r.to() + " (" + updated.size() + " rolled)"));
        events.normal(me, "RolloutComplete", "every Container runs " + r.to() + " (" + updated.size() + " rolled; "
                + r.from() + " stays pinned for berth rollout undo)");
        return Optional.empty();
    }

    private Duration rollBack(ObjectRef me, ImageStatus st, Rollout r, Container failed, Clock clock, List<Container> users) {
        ContainerStatus cs = failed.getStatus();
        // a surge's new task is the one that failed; the old task's Ready condition is still its own
        String why = cs == null ? "no status" : cs.getSurge() != null && r.to().equals(cs.getSurge().imageDigest())
                ? cs.getSurge().reason() + ": " + cs.getSurge().message()
                : cs.condition(Condition.READY).map(c -> c.reason() + ": " + c.message()).orElse("phase " + cs.getPhase());
        String message = "Container " + failed.getMetadata().getName() + " did not become Ready on " + r.to()
                + " within its progress deadline of " + failed.getSpec().progressDeadline().toSeconds() + "s (" + why
                + "); rolled back to " + r.from() + ", which stays pinned until the tag's digest changes again";
        st.setRollout(new Rollout(r.from(), r.to(), RolloutPhase.RolledBack, List.of(), null, null, message));
        st.setCondition(Condition.of(Condition.DEGRADED, true, "RolledBack", message), clock);
        events.warning(me, "RolledBack", message);
        events.warning(ObjectRef.of(failed), "RolledBack", "not Ready on " + r.to() + " in time (" + why
                + "); going back to " + r.from());
        for (Container c : users) {
            if (runs(c, r.to()) || c.getMetadata().getName().equals(failed.getMetadata().getName())) {
                enqueue.accept(ObjectRef.of(c));
            }
        }
        return TICK;
    }

    /**
     * Asks for the rollout of {@code me} to be undone (by {@code berth rollout undo}, for Container
     * {@code container}): the request is a label on the pin record of the previous digest, so it
     * survives a daemon restart and is taken (and cleared) by the Image's next reconcile, which owns
     * the status. Fails when there is nothing to go back to.
     */
    public static String requestUndo(ImageStore images, ObjectRef me, Image image, String container) {
        Rollout r = image.getStatus() == null ? null : image.getStatus().getRollout();
        if (r == null || r.from() == null) {
            throw BerthException.precondition("Image %s/%s has not rolled out a new digest yet; there is no"
                    + " previous digest to go back to", me.namespace(), me.name());
        }
        if (r.phase() == RolloutPhase.RolledBack) {
            throw BerthException.precondition("Image %s/%s is already rolled back to %s (%s)", me.namespace(),
                    me.name(), r.from(), r.message());
        }
        String pin = Rollouts.pinName(Reference.parse(image.getSpec().ref()), r.from());
        var rec = images.find(pin).orElseThrow(() -> BerthException.notFound("the previous digest %s of Image %s/%s"
                + " is no longer pinned (image record %s); pull it by digest to go back", r.from(), me.namespace(),
                me.name(), pin));
        Map<String, String> labels = new java.util.HashMap<>(rec.labels());
        labels.put(UNDO_LABEL, container);
        images.put(rec.withLabels(labels));
        return r.from();
    }

    /**
     * Whether a {@link #requestUndo} for {@code me} waits for the Image to take it: a label on a pin while
     * the stored status is not yet RolledBack.
     */
    public static boolean undoRequested(ImageStore images, ObjectRef me, Image image) {
        Rollout r = image.getStatus() == null ? null : image.getStatus().getRollout();
        if (r != null && r.phase() == RolloutPhase.RolledBack) {
            return false;
        }
        String owner = me.namespace() + "/" + me.name();
        return !images.list(i -> owner.equals(i.labels().get(PIN)) && i.labels().containsKey(UNDO_LABEL)).isEmpty();
    }

    /** How the message of a rollout rolled back on request (not for a failure) says so. */
    public static final String UNDONE = "by berth rollout undo";

    /** Label on a pin record asking for a rollback to it (value: the Container named in the request). */
    static final String UNDO_LABEL = "berth.dev/rollout-undo";

    /**
     * The Container named by an undo request for {@code r}, if one waits. The request's label stays
     * until the status that took it is stored ({@link #clearUndo}, from the next step), so that a
     * reader of the stored status always sees the request or its effect.
     */
    private Optional<String> undoRequest(ObjectRef me, Rollout r) {
        String owner = me.namespace() + "/" + me.name();
        for (var rec : images.list(i -> owner.equals(i.labels().get(PIN)) && i.labels().containsKey(UNDO_LABEL))) {
            if (rec.name().endsWith("@" + r.from())) {
                return Optional.of(rec.labels().get(UNDO_LABEL));
            }
        }
        return Optional.empty();
    }

    /** Drops the undo requests on {@code me}'s pins (taken, or stale). */
    private void clearUndo(ObjectRef me) {
        String owner = me.namespace() + "/" + me.name();
        for (var rec : images.list(i -> owner.equals(i.labels().get(PIN)) && i.labels().containsKey(UNDO_LABEL))) {
            Map<String, String> labels = new java.util.HashMap<>(rec.labels());
            labels.remove(UNDO_LABEL);
            images.put(rec.withLabels(labels));
        }
    }

    /** Removes the pins of {@code me} except the one of {@code keep} (null: all of them). */
    public void unpinAllBut(ObjectRef me, String keep) {
        String owner = me.namespace() + "/" + me.name();
        for (var rec : images.list(i -> owner.equals(i.labels().get(PIN)))) {
            if (keep != null && rec.name().endsWith("@" + keep)) {
                continue;
            }
            try {
                images.delete(rec.name());
            } catch (BerthException e) {
                if (e.category() != ErrorCategory.NOT_FOUND) {
                    throw e;
                }
            }
        }
    }

    /** The Containers in {@code me}'s namespace that use it (not being deleted), by name. */
    List<Container> users(ObjectRef me) {
        return lookup.list(Container.class).stream()
                .filter(c -> me.namespace().equals(c.getMetadata().getNamespace()) && c.getSpec() != null
                        && me.name().equals(c.getSpec().image()) && c.getMetadata().getDeletionTimestamp() == null)
                .sorted(Comparator.comparing(c -> c.getMetadata().getName())).toList();
    }

    private static boolean runs(Container c, String digest) {
        return c.getStatus() != null && digest.equals(c.getStatus().getImageDigest());
    }

    private static boolean readyOn(Container c, String digest) {
        ContainerStatus s = c.getStatus();
        return runs(c, digest) && s.getPhase() == ContainerPhase.Running && s.isReady();
    }
}
