package dev.berth.reconcilers.container;

import dev.berth.crd.container.ContainerSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * How a Container's spec changed between the last applied version and the desired one, and so
 * what the reconciler must do:
 * <ul>
 *   <li>{@link #recreate()}: image, command, args, env, workingDir, user, mounts, hostname,
 *       readOnlyRootFilesystem or sandbox changed; the runtime container must be deleted and
 *       created again (a task cannot change these in place);</li>
 *   <li>{@link #resources()}: only limits changed; applied to the running task in place
 *       ({@code runc update}), no restart;</li>
 *   <li>{@link #state()}: the desired state (Running/Stopped) changed: start or stop;</li>
 *   <li>restartPolicy, nodeName, probe and progressDeadlineSeconds changes need no action on the task (the prober picks
 *       the new probes up at the next reconcile).</li>
 * </ul>
 * {@link #fields()} lists the changed fields ({@code spec.env}) for events and {@code berth diff}.
 * Immutable.
 */
public record SpecChange(boolean recreate, boolean resources, boolean state, List<String> fields) {

    private record Field(String name, Function<ContainerSpec, Object> get, boolean recreates) {
    }

    private static final List<Field> FIELDS = List.of(
            new Field("image", ContainerSpec::image, true),
            new Field("command", ContainerSpec::command, true),
            new Field("args", ContainerSpec::args, true),
            new Field("env", ContainerSpec::env, true),
            new Field("workingDir", ContainerSpec::workingDir, true),
            new Field("user", ContainerSpec::user, true),
            new Field("mounts", ContainerSpec::mounts, true),
            new Field("hostname", ContainerSpec::hostname, true),
            new Field("readOnlyRootFilesystem", ContainerSpec::readOnlyRootFilesystem, true),
            new Field("sandbox", ContainerSpec::sandbox, true),
            new Field("resources", ContainerSpec::resources, false),
            new Field("state", ContainerSpec::state, false),
            new Field("restartPolicy", ContainerSpec::restartPolicy, false),
            new Field("nodeName", ContainerSpec::nodeName, false),
            new Field("startupProbe", ContainerSpec::startupProbe, false),
            new Field("livenessProbe", ContainerSpec::livenessProbe, false),
            new Field("readinessProbe", ContainerSpec::readinessProbe, false),
            new Field("progressDeadlineSeconds", ContainerSpec::progressDeadlineSeconds, false));

    public SpecChange {
        fields = List.copyOf(fields);
    }

    /**
     * The change from {@code applied} to {@code desired}. A null {@code applied} (never created)
     * counts as a recreate of everything.
     */
    public static SpecChange between(ContainerSpec applied, ContainerSpec desired) {
        Objects.requireNonNull(desired, "desired");
        List<String> changed = new ArrayList<>();
        boolean recreate = applied == null;
        boolean resources = false;
        boolean state = false;
        for (Field f : FIELDS) {
            if (applied != null && Objects.equals(f.get().apply(applied), f.get().apply(desired))) {
                continue;
            }
            changed.add("spec." + f.name());
            recreate |= f.recreates();
            resources |= f.name().equals("resources");
            state |= f.name().equals("state");
        }
        if (applied == null) {
            return new SpecChange(true, false, false, List.of());
        }
        return new SpecChange(recreate, resources && !recreate, state, changed);
    }

    /** Nothing to do on the node. */
    public boolean none() {
        return !recreate && !resources && !state;
    }

    /** How {@link #recreateReasons} begins the reason for a changed image digest. */
    private static final String DIGEST_CHANGED = "image digest";

    /** Whether {@code reason}, one of {@link #recreateReasons}, is the image digest's change. */
    static boolean isDigestChange(String reason) {
        return reason.startsWith(DIGEST_CHANGED);
    }

    /** Whether the image digest is all that changed among {@code reasons}. */
    static boolean onlyDigestChanged(List<String> reasons) {
        return reasons.size() == 1 && isDigestChange(reasons.get(0));
    }

    /** Why the container applied as {@code rec} must be made again for {@code spec} (empty: it need not). */
    static List<String> recreateReasons(ContainerRecord rec, ContainerSpec spec, SpecChange change, ImageTarget t,
            Optional<String> sandboxInstance) {
        List<String> why = new ArrayList<>();
        if (change.recreate()) {
            why.addAll(change.fields());
        }
        if (!Objects.equals(rec.imageDigest(), t.digest())) {
            why.add(DIGEST_CHANGED + " (" + rec.imageDigest() + " → " + t.digest() + ")");
        }
        if (rec.sandboxInstance() != null && sandboxInstance.isPresent()
                && !rec.sandboxInstance().equals(sandboxInstance.get())) {
            // as kubelet: a new pod sandbox gets new containers (the old ones hold the old namespaces)
            why.add("the instance of Sandbox " + spec.sandbox() + " (" + rec.sandboxInstance() + " → "
                    + sandboxInstance.get() + ", the sandbox was rebuilt)");
        }
        if (!Objects.equals(rec.snapshotter(), t.snapshotter())) {
            why.add("snapshotter (" + rec.snapshotter() + " → " + t.snapshotter() + ")");
        }
        if (change.resources() && RuntimeSpecs.liftsLimit(RuntimeSpecs.resources(rec.appliedSpec().resources()),
                RuntimeSpecs.resources(spec.resources()))) {
            why.add("spec.resources (a limit was removed, which runc update cannot do)");
        }
        return why;
    }
}
