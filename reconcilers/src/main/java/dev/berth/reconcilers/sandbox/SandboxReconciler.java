package dev.berth.reconcilers.sandbox;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.sandbox.Bandwidths;
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
import dev.berth.reconcilers.Drift;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.ObjectLookup;
import dev.berth.reconcilers.Outcome;
import dev.berth.reconcilers.Readiness;
import dev.berth.reconcilers.Reconciler;
import dev.berth.reconcilers.Result;
import dev.berth.reconcilers.Steps;
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
 * Steps: keep if unchanged (no spec change, no drift: report Ready) → check host ports → ensure
 * pause image → create sandbox → report.
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
        // without ips and bandwidth the text is what sandboxes built before those fields recorded,
        // so an upgrade does not rebuild every pod; kubelet's bandwidth annotations count too
        String spec = sb.getSpec().withoutNodeName().toString().replace(", ips=null, bandwidth=null", "");
        SandboxSpec.Bandwidth bw = sb.getSpec().bandwidth() == null ? Bandwidths.of(sb) : null;
        return spec + " hostname=" + SandboxRequests.hostname(sb) + (bw == null ? "" : " annotations=" + bw);
    }

    /** What one reconcile of one Sandbox observed so far: the steps' shared state (one thread). */
    private static final class Pass {
        final Sandbox sb;
        final ObjectRef ref;
        final SandboxSpec spec;
        final SandboxStatus st;
        final Long gen;
        final PodSandboxes.Network mode;
        final String applied;
        Optional<PodSandboxes.Running> cur = Optional.empty();
        PauseImages.Present image;
        PodSandboxes.Running running;

        Pass(Sandbox sb) {
            this.sb = sb;
            this.ref = ObjectRef.of(sb);
            this.spec = sb.getSpec();
            this.st = Outcome.startFrom(sb.getStatus(), SandboxStatus::new);
            this.gen = sb.getMetadata().getGeneration();
            this.mode = network(spec);
            this.applied = applied(sb);
        }
    }

    private final Steps<Pass, SandboxStatus> steps = Steps.<Pass, SandboxStatus>first("keep if unchanged", this::keepIfUnchanged)
            .then("check host ports", this::checkHostPorts)
            .then("ensure pause image", this::ensurePauseImage)
            .then("create sandbox", this::create)
            .last("report", p -> ready(p, p.running));

    @Override
    public Outcome<SandboxStatus> reconcile(Sandbox sb, Context context) throws Exception {
        return steps.run(new Pass(sb));
    }

    /** A running sandbox built from this spec and without drift is left alone; otherwise it is rebuilt. */
    private Optional<Outcome<SandboxStatus>> keepIfUnchanged(Pass p) {
        PodSandboxes sandboxes = engine.sandboxes();
        p.cur = sandboxes.find(p.ref.namespace(), p.ref.name());
        if (p.cur.isEmpty()) {
            return Optional.empty();
        }
        if (!p.applied.equals(p.cur.get().applied())) {
            events.normal(p.ref, "Rebuilding", "the spec changed; rebuilding the sandbox (its containers restart in it)");
            return Optional.empty();
        }
        Optional<String> drift = sandboxes.drift(p.ref.namespace(), p.ref.name(), p.mode, p.cur.get());
        if (drift.isPresent()) {
            events.drift(p.ref, p.cur.get().pid() == 0 ? Drift.TASK : Drift.NETWORK,
                    drift.get() + "; rebuilding the sandbox (CNI DEL, then ADD, a new"
                    + " pause container) and restarting its containers");
            return Optional.empty();
        }
        return Optional.of(ready(p, p.cur.get()));
    }

    /** Host ports taken by another Sandbox or a host process: the old sandbox goes, none is built. */
    private Optional<Outcome<SandboxStatus>> checkHostPorts(Pass p) {
        Optional<String> conflict = SandboxRequests.conflictWithOtherSandboxes(p.sb, lookup.list(Sandbox.class));
        if (conflict.isEmpty() && p.mode == PodSandboxes.Network.CNI) {
            conflict = SandboxRequests.conflictWithHostProcesses(p.spec);
        }
        if (conflict.isEmpty()) {
            return Optional.empty();
        }
        if (p.cur.isPresent()) {
            engine.sandboxes().remove(p.ref.namespace(), p.ref.name());
        }
        return Optional.of(notReady(p.st, p.gen, "HostPortConflict", conflict.get(), Result.converged()));
    }

    private Optional<Outcome<SandboxStatus>> ensurePauseImage(Pass p) {
        try {
            p.image = engine.pauseImages().ensure(Platforms.defaultMatcher(), this::pull);
            return Optional.empty();
        } catch (BerthException e) {
            return Optional.of(notReady(p.st, p.gen, "PauseImageUnavailable", e.getMessage(), Result.requeueAfter(RETRY)));
        }
    }

    /** The netns, CNI ADD, the hosts files and the pause container (the engine drops an old one first). */
    private Optional<Outcome<SandboxStatus>> create(Pass p) {
        String ns = p.ref.namespace();
        String name = p.ref.name();
        try {
            p.running = engine.sandboxes().create(new PodSandboxes.Request(ns, name, p.mode, SandboxRequests.hostname(p.sb),
                    SandboxRequests.cniArgs(p.ref, PodSandboxes.pauseId(name)), SandboxRequests.capabilityArgs(p.sb),
                    SandboxRequests.hostEntries(p.spec), SandboxRequests.dns(p.spec), p.applied), p.image);
        } catch (BerthException e) {
            events.warning(p.ref, "NetworkSetupFailed", e.getMessage());
            return Optional.of(notReady(p.st, p.gen, "NetworkSetupFailed", e.getMessage(), Result.requeueAfter(RETRY)));
        }
        Optional<String> ipsWrong = SandboxRequests.ipsNotAssigned(p.spec, p.running.ips());
        if (ipsWrong.isPresent()) {
            engine.sandboxes().remove(ns, name);
            events.warning(p.ref, "NetworkSetupFailed", ipsWrong.get());
            return Optional.of(notReady(p.st, p.gen, "NetworkSetupFailed", ipsWrong.get(), Result.requeueAfter(RETRY)));
        }
        events.normal(p.ref, "Started", "sandbox " + ns + "/" + name + " started: pause pid " + p.running.pid()
                + (p.running.ips().isEmpty() ? "" : ", ip " + String.join(", ", p.running.ips())) + ", image "
                + p.running.pauseImage());
        return Optional.empty();
    }

    private Outcome<SandboxStatus> ready(Pass p, PodSandboxes.Running r) {
        observed(p.st, r, p.spec);
        Readiness.ready("Ready", readyMessage(r)).applyTo(p.st, p.gen, clock);
        p.st.setObservedGeneration(p.gen);
        return Outcome.converged(p.st);
    }

    /** Not ready: {@code result} retries it by itself (requeue) or waits for a change (converged). */
    private Outcome<SandboxStatus> notReady(SandboxStatus st, Long gen, String reason, String message, Result result) {
        st.setPhase("NotReady");
        st.setPid(null);
        (result instanceof Result.RequeueAfter ? Readiness.retrying(reason, message)
                : Readiness.degraded(reason, message)).applyTo(st, gen, clock);
        st.setObservedGeneration(gen);
        return Outcome.of(st, result);
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
