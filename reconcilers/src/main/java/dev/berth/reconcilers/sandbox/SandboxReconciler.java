package dev.berth.reconcilers.sandbox;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.crd.sandbox.SandboxSpec;
import dev.berth.crd.sandbox.SandboxStatus;
import dev.berth.engine.Engine;
import dev.berth.engine.cni.CniResult;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.remotes.RemoteSettings;
import dev.berth.engine.sandbox.PauseImages;
import dev.berth.engine.sandbox.PodSandboxes;
import dev.berth.engine.transfer.ImagePuller;
import dev.berth.engine.transfer.PullOptions;
import dev.berth.reconcilers.Cleaner;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.ObjectLookup;
import dev.berth.reconcilers.Reconciler;
import dev.berth.reconcilers.Result;
import dev.berth.reconcilers.container.ContainerStatuses;
import dev.berth.reconcilers.container.SandboxMembers;
import dev.berth.reconcilers.image.Registries;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Keeps one pod sandbox per Sandbox object, level-triggered, through the engine's
 * {@link PodSandboxes}: the pause image (config.toml's sandbox image, IfNotPresent, pinned), the
 * pinned netns, CNI ADD with kubelet's arguments and the spec's ports and DNS, the hosts /
 * hostname / resolv.conf files, and the pause container. Every reconcile compares the applied spec
 * and looks for drift (pause process gone, netns unmounted, CNI CHECK failing: a deleted veth, a
 * removed address, flushed port rules); either rebuilds the sandbox (DEL, then ADD, new pause), and
 * the Containers in it are recreated because its instance changed, as kubelet recreates a pod.
 * Host-port conflicts, a missing pause image, a missing or bad conflist or a failing plugin become
 * a Ready=False condition naming the field or file and the fix; other sandboxes are not touched.
 * Thread-safe across objects (the dispatcher runs one reconcile per object at a time).
 */
public final class SandboxReconciler implements Reconciler<Sandbox>, Cleaner<Sandbox> {
    /** How soon a sandbox that could not be built is tried again (its condition says why). */
    static final Duration RETRY = Duration.ofSeconds(10);
    /** How often a deletion looks again whether the sandbox's Containers have stopped. */
    static final Duration MEMBERS_POLL = Duration.ofSeconds(1);
    private final Engine engine;
    private final Registries registries;
    private final ObjectLookup lookup;
    private final EventSink events;
    private final Clock clock;

    public SandboxReconciler(Engine engine, Registries registries, ObjectLookup lookup, EventSink events, Clock clock) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.registries = Objects.requireNonNull(registries, "registries");
        this.lookup = Objects.requireNonNull(lookup, "lookup");
        this.events = Objects.requireNonNull(events, "events");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Class<Sandbox> kind() {
        return Sandbox.class;
    }

    static PodSandboxes.Network network(SandboxSpec spec) {
        return switch (spec.network()) {
            case Cni -> PodSandboxes.Network.CNI;
            case Host -> PodSandboxes.Network.HOST;
            case None -> PodSandboxes.Network.NONE;
        };
    }

    /**
     * What the sandbox was built from: the spec (records print every field, in order) and the
     * hostname it resolves to. A difference rebuilds the sandbox.
     */
    static String applied(Sandbox sb) {
        return sb.getSpec().withoutNodeName() + " hostname=" + SandboxRequests.hostname(sb);
    }

    @Override
    public Result reconcile(Sandbox sb, Context context) {
        ObjectRef ref = ObjectRef.of(sb);
        String ns = ref.namespace();
        String name = ref.name();
        SandboxSpec spec = sb.getSpec();
        if (sb.getStatus() == null) {
            sb.setStatus(new SandboxStatus());
        }
        SandboxStatus st = sb.getStatus();
        Long gen = sb.getMetadata().getGeneration();
        PodSandboxes sandboxes = engine.sandboxes();
        PodSandboxes.Network mode = network(spec);
        String applied = applied(sb);

        Optional<PodSandboxes.Running> cur = sandboxes.find(ns, name);
        if (cur.isPresent()) {
            Optional<String> rebuild = Optional.empty();
            if (!applied.equals(cur.get().applied())) {
                events.normal(ref, "Rebuilding", "the spec changed; rebuilding the sandbox (its containers restart in it)");
                rebuild = Optional.of("spec");
            } else {
                Optional<String> drift = sandboxes.drift(ns, name, mode, cur.get());
                if (drift.isPresent()) {
                    events.warning(ref, "DriftRepaired", drift.get() + "; rebuilding the sandbox (CNI DEL, then ADD, a new"
                            + " pause container) and restarting its containers");
                    rebuild = drift;
                }
            }
            if (rebuild.isEmpty()) {
                observed(st, cur.get(), spec);
                ContainerStatuses.conditions(st, clock, gen, true, "Ready", readyMessage(cur.get()), false, false);
                st.setObservedGeneration(gen);
                return Result.converged();
            }
        }

        Optional<String> conflict = SandboxRequests.conflictWithOtherSandboxes(sb, lookup.list(Sandbox.class));
        if (conflict.isEmpty() && mode == PodSandboxes.Network.CNI) {
            conflict = SandboxRequests.conflictWithHostProcesses(spec);
        }
        if (conflict.isPresent()) {
            if (cur.isPresent()) {
                sandboxes.remove(ns, name);
            }
            return notReady(st, gen, "HostPortConflict", conflict.get(), Result.converged());
        }
        PauseImages.Present image;
        try {
            image = engine.pauseImages().ensure(Platforms.defaultMatcher(), this::pull);
        } catch (BerthException e) {
            return notReady(st, gen, "PauseImageUnavailable", e.getMessage(), Result.requeueAfter(RETRY));
        }
        PodSandboxes.Running running;
        try {
            running = sandboxes.create(new PodSandboxes.Request(ns, name, mode, SandboxRequests.hostname(sb),
                    SandboxRequests.cniArgs(ref, PodSandboxes.pauseId(name)), SandboxRequests.capabilityArgs(spec),
                    SandboxRequests.hostEntries(spec), SandboxRequests.dns(spec), applied), image);
        } catch (BerthException e) {
            events.warning(ref, "NetworkSetupFailed", e.getMessage());
            return notReady(st, gen, "NetworkSetupFailed", e.getMessage(), Result.requeueAfter(RETRY));
        }
        events.normal(ref, "Started", "sandbox " + ns + "/" + name + " started: pause pid " + running.pid()
                + (running.ips().isEmpty() ? "" : ", ip " + String.join(", ", running.ips())) + ", image "
                + running.pauseImage());
        observed(st, running, spec);
        ContainerStatuses.conditions(st, clock, gen, true, "Ready", readyMessage(running), false, false);
        st.setObservedGeneration(gen);
        return Result.converged();
    }

    private Result notReady(SandboxStatus st, Long gen, String reason, String message, Result result) {
        st.setPhase("NotReady");
        st.setPid(null);
        ContainerStatuses.conditions(st, clock, gen, false, reason, message, result instanceof Result.RequeueAfter, true);
        st.setObservedGeneration(gen);
        return result;
    }

    private dev.berth.engine.images.Image pull(dev.berth.engine.remotes.Reference ref) {
        ImagePuller puller = new ImagePuller(engine.content(), engine.images(), registries.resolver(null),
                engine.leases());
        return puller.pull(ref, PullOptions.defaults().withPlatforms(Platforms.defaultMatcher())
                .withMaxConcurrentDownloads(engine.config().get(RemoteSettings.MAX_CONCURRENT_DOWNLOADS).intValue()));
    }

    private static String readyMessage(PodSandboxes.Running r) {
        return "pause pid " + r.pid() + (r.ips().isEmpty() ? "" : ", ip " + String.join(", ", r.ips()));
    }

    private static void observed(SandboxStatus st, PodSandboxes.Running r, SandboxSpec spec) {
        st.setPhase("Ready");
        st.setPid(r.pid());
        st.setNetnsPath(r.netns() == null ? null : r.netns().toString());
        List<String> ips = r.ips();
        st.setIp(ips.isEmpty() ? null : ips.get(0));
        st.setIps(ips.isEmpty() ? null : ips);
        List<SandboxStatus.NetworkInterface> ifs = new ArrayList<>();
        if (r.result() != null) {
            for (CniResult.Interface i : r.result().interfaces()) {
                ifs.add(new SandboxStatus.NetworkInterface(i.name(), i.mac().isEmpty() ? null : i.mac(),
                        i.sandbox().isEmpty() ? null : i.sandbox()));
            }
        }
        st.setInterfaces(ifs.isEmpty() ? null : ifs);
        List<SandboxSpec.PortMapping> ports = spec.network() == Sandbox.NetworkMode.Cni ? spec.publishedPorts() : List.of();
        st.setPorts(ports.isEmpty() ? null : ports);
        st.setPauseImage(r.pauseImage());
        st.setPauseImageDigest(r.pauseDigest());
    }

    /**
     * Removes the sandbox once its Containers have stopped (each stops its own task when it sees its
     * sandbox deleted, see {@link SandboxMembers}); until then it says which it waits for.
     */
    @Override
    public Result cleanup(Sandbox sb, Context context) {
        ObjectRef ref = ObjectRef.of(sb);
        List<String> members = SandboxMembers.running(ref, lookup.list(dev.berth.crd.container.Container.class),
                engine.runtime());
        if (!members.isEmpty()) {
            events.normal(ref, "StoppingContainers", "waiting for Container" + (members.size() == 1 ? " " : "s ")
                    + String.join(", ", members) + " to stop before the sandbox is removed (a pod's containers stop"
                    + " before its sandbox)");
            return Result.requeueAfter(MEMBERS_POLL);
        }
        engine.sandboxes().remove(ref.namespace(), ref.name());
        return Result.converged();
    }
}
