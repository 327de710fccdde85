package dev.berth.reconcilers.container;

import static dev.berth.reconcilers.container.ContainerFixture.NS;

import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.RestartPolicy;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.crd.sandbox.SandboxSpec;
import dev.berth.engine.sandbox.SandboxSettings;
import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.TestNetwork;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.Result;
import dev.berth.reconcilers.image.Registries;
import dev.berth.reconcilers.sandbox.SandboxReconciler;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A {@link ContainerFixture} with sandboxes: a CNI network of the test's own ({@link TestNetwork}),
 * Berth's pause image under a name of the test's own as config.toml's sandbox image, and the
 * Sandbox reconciler. {@link #close} removes every sandbox (CNI DEL, netns), the fixture's
 * containers and the bridge, also after a failure. One per test; not thread-safe.
 */
final class SandboxFixture implements AutoCloseable {
    final Path netDir;
    final HostCleanup hostCleanup;
    final TestNetwork net;
    final ContainerFixture f;
    final Registries registries;
    final SandboxReconciler sandboxes;
    final String pauseRef;

    SandboxFixture() throws Exception {
        netDir = Files.createTempDirectory("berth-sbit-");
        hostCleanup = HostCleanup.under(netDir);
        net = TestNetwork.create(netDir, hostCleanup);
        String suffix = Integer.toHexString((int) (Math.random() * 0xffffff));
        pauseRef = "localhost/berth-test/pause-" + suffix + ":1";
        f = new ContainerFixture(c -> c.with(SandboxSettings.CNI_CONF_DIR, net.confDir().toString())
                .with(SandboxSettings.SANDBOX_IMAGE, pauseRef));
        f.importPauseImage(pauseRef);
        registries = new Registries(f.config);
        sandboxes = new SandboxReconciler(f.engine, registries, f.lookup(), f.sink(), f.clock);
    }

    /** A Sandbox object {@code name} with {@code spec}, stored in the fixture's lookup. */
    Sandbox sandbox(String name, SandboxSpec spec) {
        Sandbox sb = new Sandbox();
        sb.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).withGeneration(1L).build());
        sb.setSpec(spec);
        f.put(sb);
        return sb;
    }

    /** A CNI sandbox spec publishing {@code containerPort} on {@code hostPort} (TCP, any host address). */
    static SandboxSpec withPort(int containerPort, int hostPort) {
        return new SandboxSpec(null, Sandbox.NetworkMode.Cni, List.of(new SandboxSpec.PortMapping(containerPort, hostPort,
                SandboxSpec.Protocol.TCP, null)), null, null, false, null);
    }

    /** One reconcile of {@code sb}, its status written to it; the result. */
    Result reconcile(Sandbox sb) throws Exception {
        return sandboxes.reconcile(sb, Context.first(f.clock)).writeTo(sb);
    }

    /** A busybox Container in sandbox {@code pod} running {@code script}, stored; not reconciled yet. */
    Container member(String name, String pod, RestartPolicy policy, String script) {
        Container c = f.container(name, new ContainerSpec(ContainerFixture.IMAGE, List.of("sh", "-c"), List.of(script),
                null, null, null, null, null, null, false, policy, null, pod, null));
        f.put(c);
        return c;
    }

    /** A web server member answering its own hostname on port 8080; reconciled until it runs. */
    Container webServer(String name, String pod) throws Exception {
        Container web = member(name, pod, RestartPolicy.Always,
                "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www");
        f.reconcileUntil(web, c -> c.getStatus() != null && c.getStatus().getPhase() == ContainerPhase.Running);
        return web;
    }

    /** The host-side veths attached to the test's bridge. */
    List<String> bridgePorts() throws Exception {
        return net.bridgePorts();
    }

    @Override
    public void close() throws Exception {
        try {
            // members first, as a deletion does; then every sandbox (CNI DEL, netns), then the rest
            for (Container c : f.lookup().list(Container.class)) {
                f.reconciler.cleanup(c, Context.first(f.clock));
            }
            for (Sandbox sb : f.lookup().list(Sandbox.class)) {
                f.engine.sandboxes().remove(sb.getMetadata().getNamespace(), sb.getMetadata().getName());
            }
            registries.close();
            f.close();
        } finally {
            hostCleanup.close();
        }
    }
}
