package dev.berth.reconcilers.container;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.engine.Engine;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.reconcilers.probe.ProbePlan;
import dev.berth.reconcilers.probe.ProbeVerdict;
import dev.berth.reconcilers.probe.Prober;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Container reconciler's side of probing: the probes a Container's task runs (the spec's, and
 * the image's docker HEALTHCHECK as liveness probe when the spec has none) handed to the
 * {@link Prober}, and its verdict read back. Image health checks are read once per image digest.
 * Thread-safe.
 */
final class ContainerProbes {
    private final Engine engine;
    private final Prober prober;
    private final Map<String, Optional<ProbePlan>> imageChecks = new ConcurrentHashMap<>();

    ContainerProbes(Engine engine, Prober prober) {
        this.engine = engine;
        this.prober = prober;
    }

    /** The probes' verdict on running task {@code ts} of {@code ref}, starting them if needed. */
    ProbeVerdict verdict(ObjectRef ref, String id, ContainerSpec spec, ImageTarget t, TaskStatus ts,
            String runningMessage) {
        return prober.observe(ref, ref.namespace(), id, ts.pid(), plans(spec, t), runningMessage);
    }

    /** Stops probing one task of {@code ref} (a revision that was replaced or rolled back). */
    void forget(String namespace, String id) {
        prober.forgetTask(namespace, id);
    }

    /** Stops probing {@code ref} (its task is not running). */
    void forget(ObjectRef ref) {
        prober.forget(ref);
    }

    List<ProbePlan> plans(ContainerSpec spec, ImageTarget t) {
        List<ProbePlan> plans = new ArrayList<>(3);
        if (spec.startupProbe() != null) {
            plans.add(ProbePlan.of(ProbePlan.Kind.Startup, spec.startupProbe()));
        }
        if (spec.livenessProbe() != null) {
            plans.add(ProbePlan.of(ProbePlan.Kind.Liveness, spec.livenessProbe()));
        } else {
            imageCheck(t).ifPresent(plans::add);
        }
        if (spec.readinessProbe() != null) {
            plans.add(ProbePlan.of(ProbePlan.Kind.Readiness, spec.readinessProbe()));
        }
        return plans;
    }

    private Optional<ProbePlan> imageCheck(ImageTarget t) {
        if (t.digest() == null) {
            return Optional.empty();
        }
        return imageChecks.computeIfAbsent(t.digest(), d -> {
            PlatformMatcher matcher = t.platform() == null ? Platforms.defaultMatcher()
                    : Platforms.only(Platforms.parse(t.platform()));
            ImageConfig c = engine.containerRootfs().resolve(t.imageName(), matcher).config();
            return ProbePlan.fromHealthcheck(c == null || c.config() == null ? null : c.config().healthcheck());
        });
    }
}
