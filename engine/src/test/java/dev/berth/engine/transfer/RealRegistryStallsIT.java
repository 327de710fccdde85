package dev.berth.engine.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.LayerBuilder;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RegistryProcess;
import dev.berth.engine.testing.ThrottlingProxy;
import dev.berth.engine.testing.ThrottlingProxy.Behaviour;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Stalls against the real thing (issue 12): a real {@code docker-registry} process serves the image
 * and a {@link ThrottlingProxy} between it and the puller stalls or trickles the layer's body. The
 * stall is noticed by the progress watchdog, the body is resumed with a Range request that the real
 * registry answers, and a registry that only trickles fails the pull with an error naming the
 * registry, the blob and the stall, keeping what arrived for the next pull to resume from.
 */
class RealRegistryStallsIT {
    RegistryProcess registry;
    ThrottlingProxy proxy;
    PullFixture f;
    BuiltImage image;
    Digest layer;
    volatile Behaviour layerBehaviour = Behaviour.pass();
    volatile int stalledRequests;

    @BeforeEach
    void setUp() {
        registry = RegistryProcess.start();
        image = OciImageBuilder.create()
                .layer(RegistryPullIT.randomLayer(12, 3, 500_000).compression(LayerBuilder.Compression.NONE)).build();
        layer = image.layers().get(0).digest();
        registry.pushRaw(image, "berth/stalls", "1");
        proxy = ThrottlingProxy.start(registry.port(), (line, nth) ->
                line.startsWith("GET ") && line.contains("/blobs/" + layer) && nth <= stalledRequests
                        ? layerBehaviour : Behaviour.pass());
        f = new PullFixture(PullFixture.fastOptions().progressTimeout(Duration.ofSeconds(2)));
    }

    @AfterEach
    void tearDown() {
        if (f != null) {
            f.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    private Reference ref() {
        return Reference.parse(proxy.host() + "/berth/stalls:1");
    }

    private List<ThrottlingProxy.Request> layerGets() {
        return proxy.requests("GET ").stream().filter(r -> r.line().contains("/blobs/" + layer)).toList();
    }

    @Test
    void aBodyThatStallsMidLayerIsNoticedAndResumedWithRange() {
        layerBehaviour = Behaviour.stallAfter(300_000);
        stalledRequests = 1;
        List<BlobProgress> seen = new CopyOnWriteArrayList<>();
        f.puller.pull(ref(), PullOptions.defaults().withListener(p -> {
            if (p.desc().digest().equals(layer)) {
                seen.add(p);
            }
        }));
        f.assertHas(image);
        f.assertConsistent();
        List<ThrottlingProxy.Request> gets = layerGets();
        assertEquals(2, gets.size(), gets.toString());
        String range = gets.get(1).range();
        assertTrue(range != null && range.matches("bytes=\\d+-"), gets.toString());
        long from = Long.parseLong(range.substring("bytes=".length(), range.length() - 1));
        assertTrue(from > 200_000 && from < 300_000, "resumed where the stalled body stopped: " + range);
        assertTrue(seen.stream().anyMatch(p -> p.phase() == BlobProgress.Phase.RETRYING && p.offset() > 200_000),
                "the progress line said it was retrying, with the bytes received: " + seen);
    }

    @Test
    void aRegistryThatOnlyTricklesFailsNamingItThenTheNextPullResumes() {
        layerBehaviour = Behaviour.trickle(8_000);
        stalledRequests = Integer.MAX_VALUE;
        BerthException e = assertThrows(BerthException.class, () -> f.puller.pull(ref(), PullOptions.defaults()));
        assertEquals(ErrorCategory.DEADLINE_EXCEEDED, e.category());
        String m = e.getMessage();
        assertTrue(m.contains("layer " + layer + " of " + proxy.host() + "/berth/stalls")
                && m.contains("timed out (the registry stalled)") && m.contains("(stalled)"), m);
        assertTrue(f.images.list().isEmpty(), "no image record after a failed pull");
        long kept = f.content.status("layer-" + layer).offset();
        assertTrue(kept > 0, "what trickled in is kept");
        int before = layerGets().size();
        assertTrue(before >= 2, "it resumed before giving up: " + layerGets());

        stalledRequests = 0;
        f.puller.pull(ref(), PullOptions.defaults());
        f.assertHas(image);
        f.assertConsistent();
        List<ThrottlingProxy.Request> gets = layerGets();
        assertEquals("bytes=" + kept + "-", gets.get(gets.size() - 1).range(), "resumed from the ingest: " + gets);
    }
}
