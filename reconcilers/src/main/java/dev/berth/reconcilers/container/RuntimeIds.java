package dev.berth.reconcilers.container;

import dev.berth.engine.containers.ContainerInfo;
import dev.berth.engine.containers.Containers;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which runtime containers (engine container records, each with its task, log file, rootfs snapshot
 * {@code container/<namespace>/<id>}, bundle and cgroup) belong to a Container object, and which of
 * them is its current one. A Container starts as runtime id {@code <name>}; a surge rollout starts
 * its new revision as {@code <name>_<the first 12 hex digits of the new digest>} (an underscore is
 * in no Kubernetes object name, so no other Container's id looks like it; a Sandbox's pause
 * container {@code <sandbox>_pause} has no 12 hex digits after it, so it is nobody's revision), labelled
 * {@value #SURGE_LABEL} until it is Ready and promoted. Of the unlabelled records the newest is the
 * current one; an older unlabelled one is what a promotion cut by a daemon restart left to remove.
 * Every place that maps a runtime id back to its Container (task exits, {@code berth logs}, the
 * status's {@code containerID}) asks {@link #owner}. Stateless and thread-safe.
 */
public final class RuntimeIds {
    /** Label on the record of a surge's new revision until it is promoted (value: the Container's name). */
    public static final String SURGE_LABEL = "berth.dev/surge-of";

    private RuntimeIds() {
    }

    /**
     * The runtime containers of one Container.
     *
     * @param current the id its task runs as now ({@code <name>} when it has none yet)
     * @param surge the record of a surge's new revision, if one is starting
     * @param leftovers older revisions a cut promotion left behind (to be torn down)
     */
    public record Owned(String current, Optional<ContainerInfo> surge, List<ContainerInfo> leftovers) {
        /** Every runtime id: the surge's, the current one, the leftovers. */
        public List<String> all() {
            List<String> ids = new ArrayList<>();
            surge.ifPresent(s -> ids.add(s.id()));
            ids.add(current);
            leftovers.forEach(l -> ids.add(l.id()));
            return ids;
        }
    }

    /** A revision's suffix: {@code _} and 12 hex digits (a sandbox's {@code <name>_pause} is none). */
    private static final java.util.regex.Pattern REVISION = java.util.regex.Pattern.compile("_[0-9a-f]{12}$");

    /** The Container name a runtime id belongs to. */
    public static String owner(String id) {
        java.util.regex.Matcher m = REVISION.matcher(id);
        return m.find() ? id.substring(0, m.start()) : id;
    }

    /** The runtime id of the revision of Container {@code name} that runs {@code digest} in a surge. */
    public static String surgeId(String name, String digest) {
        String hex = digest.substring(digest.indexOf(':') + 1);
        return name + "_" + hex.substring(0, Math.min(12, hex.length()));
    }

    /** Whether {@code id} is a runtime id of Container {@code name}. */
    public static boolean ownedBy(String id, String name) {
        // the length and prefix first: every record of the namespace is asked, most are someone else's
        return id.equals(name) || id.length() == name.length() + 13 && id.startsWith(name) && owner(id).equals(name);
    }

    /** The runtime containers of Container {@code namespace/name}. */
    public static Owned of(Containers containers, String namespace, String name) {
        List<ContainerInfo> mine = new ArrayList<>();
        ContainerInfo surge = null;
        for (ContainerInfo c : containers.list(namespace)) {
            if (!ownedBy(c.id(), name)) {
                continue;
            }
            if (name.equals(c.labels().get(SURGE_LABEL))) {
                surge = c;
            } else {
                mine.add(c);
            }
        }
        if (mine.isEmpty()) {
            return new Owned(name, Optional.ofNullable(surge), List.of());
        }
        mine.sort(Comparator.comparing(ContainerInfo::createdAt).thenComparing(c -> c.updatedAt()));
        ContainerInfo current = mine.remove(mine.size() - 1);
        return new Owned(current.id(), Optional.ofNullable(surge), List.copyOf(mine));
    }

    /** The id Container {@code namespace/name}'s task runs as now (for logs and clients). */
    public static String current(Containers containers, String namespace, String name) {
        return of(containers, namespace, name).current();
    }
}
