package dev.berth.reconcilers.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageSpec;
import dev.berth.crd.image.PullPolicy;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.runtime.RuntimeSettings;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RegistryProcess;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.ObjectLookup;
import dev.berth.reconcilers.Result;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Image reconciler against a real registry: pulls once (IfNotPresent), re-fetches a blob deleted
 * from the store (drift), reports a missing tag as a condition, and Never waits for an import; the
 * configured sandbox image is pulled through the same puller and survives its Image object.
 */
class ImageReconcilerIT {
    @TempDir
    Path tmp;

    final List<String> events = new ArrayList<>();
    final EventSink sink = new EventSink() {
        @Override
        public void normal(ObjectRef object, String reason, String message) {
            events.add(reason);
        }

        @Override
        public void warning(ObjectRef object, String reason, String message) {
            events.add(reason);
        }
    };
    final ObjectLookup none = new ObjectLookup() {
        @Override
        public <T extends HasMetadata> Optional<T> get(ObjectRef ref, Class<T> type) {
            return Optional.empty();
        }

        @Override
        public <T extends HasMetadata> List<T> list(Class<T> type) {
            return List.of();
        }
    };

    static Image image(String ref, PullPolicy policy) {
        Image i = new Image();
        i.setMetadata(new ObjectMetaBuilder().withName("img").withNamespace("default").withGeneration(1L).build());
        i.setSpec(new ImageSpec(ref, policy, null, null, new ImageSpec.Unpack("overlayfs"), null));
        return i;
    }

    @Test
    void pullsOnceRefetchesADeletedBlobAndReportsFailures() throws Exception {
        Config c = Config.defaults().with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(RuntimeSettings.LOG_DIR, tmp.resolve("logs").toString());
        BuiltImage built = OciImageBuilder.busybox().build();
        try (RegistryProcess registry = RegistryProcess.start();
                Engine engine = Engine.open(c);
                Registries registries = new Registries(c)) {
            registry.pushRaw(built, "berth/busybox", "1");
            String ref = registry.host() + "/berth/busybox:1";
            ImageReconciler r = new ImageReconciler(engine, registries, none, sink, Duration.ofMinutes(5));
            Context ctx = Context.first(Clock.systemUTC());

            Image img = image(ref, PullPolicy.IfNotPresent);
            assertEquals(Result.converged(), r.reconcile(img, ctx).writeTo(img));
            assertTrue(img.getStatus().isReady());
            assertEquals(built.target().digest().toString(), img.getStatus().getDigest());
            assertEquals(List.of("Pulled", "Unpacked"), events);

            // converged: a second reconcile pulls nothing and records nothing
            events.clear();
            r.reconcile(img, ctx).writeTo(img);
            assertEquals(List.of(), events);

            // drift: a layer blob deleted from the store is fetched again
            Descriptor layer = built.layers().get(0);
            engine.content().delete(layer.digest());
            assertFalse(engine.content().exists(layer.digest()));
            r.reconcile(img, ctx).writeTo(img);
            assertTrue(engine.content().exists(layer.digest()));
            assertEquals(List.of("DriftRepaired", "Pulled"), events);
            assertTrue(img.getStatus().isReady());

            // a missing tag: an error the condition names, retried by the dispatcher
            Image missing = image(registry.host() + "/berth/busybox:nope", PullPolicy.IfNotPresent);
            BerthException e = assertThrows(BerthException.class, () -> r.reconcile(missing, ctx).writeTo(missing));
            assertEquals(ErrorCategory.NOT_FOUND, e.category());
            assertEquals("ErrImageNotFound", missing.getStatus().condition("Ready").orElseThrow().reason());

            // Never: waits for an import instead of pulling
            Image never = image(registry.host() + "/berth/other:1", PullPolicy.Never);
            assertTrue(r.reconcile(never, ctx).writeTo(never) instanceof Result.RequeueAfter);
            assertEquals("ErrImageNeverPull", never.getStatus().condition("Ready").orElseThrow().reason());
        }
    }

    /**
     * The configured sandbox image from a real registry through the engine's puller: pulled once,
     * pinned, and kept when an Image object naming it is deleted (another image's record goes).
     */
    @Test
    void theConfiguredSandboxImageIsPulledOnceAndOutlivesItsImageObject() throws Exception {
        BuiltImage built = OciImageBuilder.busybox().build();
        try (RegistryProcess registry = RegistryProcess.start()) {
            registry.pushRaw(built, "berth/pause", "1");
            registry.pushRaw(built, "berth/other", "1");
            String pauseRef = registry.host() + "/berth/pause:1";
            Config c = Config.defaults().with(EngineSettings.ROOT, tmp.resolve("root").toString())
                    .with(EngineSettings.STATE, tmp.resolve("state").toString())
                    .with(RuntimeSettings.LOG_DIR, tmp.resolve("logs").toString())
                    .with(dev.berth.engine.sandbox.SandboxSettings.SANDBOX_IMAGE, pauseRef);
            try (Engine engine = Engine.open(c); Registries registries = new Registries(c)) {
                var puller = new dev.berth.engine.transfer.ImagePuller(engine.content(), engine.images(),
                        registries.resolver(null), engine.leases());
                java.util.concurrent.atomic.AtomicInteger pulls = new java.util.concurrent.atomic.AtomicInteger();
                dev.berth.engine.sandbox.PauseImages.Pull pull = ref -> {
                    pulls.incrementAndGet();
                    return puller.pull(ref, dev.berth.engine.transfer.PullOptions.defaults());
                };
                var p = engine.pauseImages().ensure(dev.berth.engine.images.Platforms.defaultMatcher(), pull);
                engine.pauseImages().ensure(dev.berth.engine.images.Platforms.defaultMatcher(), pull);
                assertEquals(1, pulls.get());
                assertEquals(built.target().digest().toString(), p.digest());

                ImageReconciler r = new ImageReconciler(engine, registries, none, sink, Duration.ofMinutes(5));
                Context ctx = Context.first(Clock.systemUTC());
                Image pauseObject = image(pauseRef, PullPolicy.IfNotPresent);
                r.reconcile(pauseObject, ctx).writeTo(pauseObject);
                Image other = image(registry.host() + "/berth/other:1", PullPolicy.IfNotPresent);
                r.reconcile(other, ctx).writeTo(other);
                events.clear();
                r.cleanup(pauseObject, ctx);
                r.cleanup(other, ctx);
                assertEquals(List.of("Kept", "Removed"), events);
                assertTrue(engine.images().find(p.name()).isPresent());
                assertTrue(engine.images().find(registry.host() + "/berth/other:1").isEmpty());

                // an Image a Container names keeps its record when the object goes (kubelet never
                // removes an image in use); once no Container names it, the record goes
                r.reconcile(other, ctx).writeTo(other);
                dev.berth.crd.container.Container user = new dev.berth.crd.container.Container();
                user.setMetadata(new ObjectMetaBuilder().withName("web").withNamespace("default").build());
                user.setSpec(new dev.berth.crd.container.ContainerSpec("img", null, List.of("true"), null, null, null,
                        null, null, null, false, null, null, null, null));
                List<dev.berth.crd.container.Container> containers = new ArrayList<>(List.of(user));
                ObjectLookup withUser = new ObjectLookup() {
                    @Override
                    public <T extends HasMetadata> Optional<T> get(ObjectRef ref, Class<T> type) {
                        return Optional.empty();
                    }

                    @Override
                    @SuppressWarnings("unchecked")
                    public <T extends HasMetadata> List<T> list(Class<T> type) {
                        return type == dev.berth.crd.container.Container.class ? (List<T>) List.copyOf(containers)
                                : List.of();
                    }
                };
                ImageReconciler used = new ImageReconciler(engine, registries, withUser, sink, Duration.ofMinutes(5));
                events.clear();
                used.cleanup(other, ctx);
                assertEquals(List.of("Kept"), events);
                assertTrue(engine.images().find(registry.host() + "/berth/other:1").isPresent());
                containers.clear();
                used.cleanup(other, ctx);
                assertEquals(List.of("Kept", "Removed"), events);
                assertTrue(engine.images().find(registry.host() + "/berth/other:1").isEmpty());
            }
        }
    }
}
