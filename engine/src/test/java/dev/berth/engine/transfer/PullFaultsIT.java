package dev.berth.engine.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.content.Status;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Faults from a misbehaving registry: corrupt, truncated and stalled bodies, headers that never
 * come, oversized/malformed/unknown/schema-1 manifests, 429 and 503. Each ends in a clear error (or a
 * resumed, verified pull) and a consistent store.
 */
class PullFaultsIT {
    FaultyRegistry server;
    PullFixture f;
    BuiltImage image;
    Digest layer;

    @BeforeEach
    void setUp() throws Exception {
        server = new FaultyRegistry();
        image = OciImageBuilder.create().layer(RegistryPullIT.randomLayer(31, 4, 250_000)).build();
        layer = image.layers().get(0).digest();
        server.add(image, "1");
        f = new PullFixture(PullFixture.fastOptions().progressTimeout(Duration.ofSeconds(1))
                .responseTimeout(Duration.ofSeconds(1)).attempts(2));
    }

    @AfterEach
    void tearDown() {
        if (f != null) {
            f.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private Reference ref(String tag) {
        return Reference.parse(server.host() + "/faulty/app:" + tag);
    }

    private BerthException pullFails(String tag) {
        BerthException e = assertThrows(BerthException.class, () -> f.puller.pull(ref(tag), PullOptions.defaults()));
        assertTrue(f.images.list().isEmpty(), "no image record after a failed pull");
        return e;
    }

    @Test
    void corruptBlobIsRejectedAndNothingCommitted() {
        server.fault(layer, FaultyRegistry.Fault.CORRUPT);
        BerthException e = pullFails("1");
        assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
        assertTrue(e.getMessage().contains(layer.toString()) && e.getMessage().contains("nothing was stored"),
                e.getMessage());
        assertFalse(f.content.exists(layer));
        f.assertConsistent();
    }

    @Test
    void truncatedBodyIsResumedWithRange() {
        server.fault(layer, FaultyRegistry.Fault.TRUNCATE_ONCE);
        f.puller.pull(ref("1"), PullOptions.defaults());
        f.assertHas(image);
        f.assertConsistent();
        List<FaultyRegistry.Request> rs = server.requestsFor(layer);
        assertEquals(2, rs.size(), rs.toString());
        assertTrue(rs.get(1).range() != null && !rs.get(1).range().equals("bytes=0-"), rs.toString());
    }

    @Test
    void droppedConnectionsGiveUpThenTheNextPullResumesFromTheIngest() {
        server.fault(layer, FaultyRegistry.Fault.DROP_ALWAYS);
        BerthException e = pullFails("1");
        assertEquals(ErrorCategory.UNAVAILABLE, e.category());
        assertTrue(e.getMessage().contains("resumed with Range 3 times") && e.getMessage().contains("kept at byte"),
                e.getMessage());
        Status kept = f.content.status("layer-" + layer);
        long half = kept.offset();
        assertTrue(half > 0 && half < image.layers().get(0).size(), "partial ingest kept: " + kept);

        server.fault(layer, null);
        f.puller.pull(ref("1"), PullOptions.defaults());
        f.assertHas(image);
        f.assertConsistent();
        List<FaultyRegistry.Request> rs = server.requestsFor(layer);
        assertEquals("bytes=" + half + "-", rs.get(rs.size() - 1).range(), "resumed from the ingest: " + rs);
    }

    @Test
    void stalledBodyTimesOutAndResumes() {
        server.fault(layer, FaultyRegistry.Fault.STALL_ONCE);
        f.puller.pull(ref("1"), PullOptions.defaults());
        f.assertHas(image);
        f.assertConsistent();
    }

    @Test
    void bodyThatAlwaysStallsTimesOutAndSaysSo() {
        server.fault(layer, FaultyRegistry.Fault.STALL_ALWAYS);
        BerthException e = pullFails("1");
        assertEquals(ErrorCategory.DEADLINE_EXCEEDED, e.category());
        assertTrue(e.getMessage().contains("timed out") && e.getMessage().contains("no data for 1s"), e.getMessage());
        assertFalse(f.content.exists(layer));
    }

    /** Regression: a trickling body was never seen as stalled, and the display showed 0 B (issue 12). */
    @Test
    void tricklingBodyCountsAsStalledShowsItsBytesAndFails() {
        server.fault(layer, FaultyRegistry.Fault.TRICKLE_ALWAYS);
        List<BlobProgress> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        BerthException e = assertThrows(BerthException.class, () -> f.puller.pull(ref("1"), PullOptions.defaults()
                .withListener(p -> {
                    if (p.desc().digest().equals(layer)) {
                        seen.add(p);
                    }
                })));
        assertEquals(ErrorCategory.DEADLINE_EXCEEDED, e.category());
        String m = e.getMessage();
        assertTrue(m.contains("layer " + layer + " of " + server.host() + "/faulty/app timed out (the registry stalled)")
                && m.contains("bytes for 1s at byte ") && m.contains("(stalled)")
                && m.contains("giving up after 3 resumes without progress"), m);
        assertTrue(seen.stream().anyMatch(p -> p.phase() == BlobProgress.Phase.RETRYING), seen.toString());
        // what arrived (20 KB per connection, far less than the 256 KiB buffer) is shown while it stalls
        assertTrue(seen.stream().anyMatch(p -> p.phase() != BlobProgress.Phase.FAILED && p.offset() >= 40_000),
                seen.toString());
        assertTrue(f.content.status("layer-" + layer).offset() >= 60_000, "what arrived is kept for the next pull");
    }

    /** Regression: a body that delivers a little on every resume and then stalls again never failed (issue 12). */
    @Test
    void bodyThatKeepsStallingFailsAfterEightStalls() {
        server.fault(layer, FaultyRegistry.Fault.BURST_THEN_STALL);
        BerthException e = pullFails("1");
        assertEquals(ErrorCategory.DEADLINE_EXCEEDED, e.category());
        assertTrue(e.getMessage().contains("timed out (the registry stalled)")
                && e.getMessage().contains("giving up after 8 stalls"), e.getMessage());
        assertEquals(8, server.requestsFor(layer).stream().filter(r -> r.method().equals("GET")).count());
    }

    @Test
    void headersThatNeverComeTimeOut() {
        server.fault(image.configDescriptor().digest(), FaultyRegistry.Fault.NO_HEADERS);
        BerthException e = pullFails("1");
        assertEquals(ErrorCategory.DEADLINE_EXCEEDED, e.category());
        assertTrue(e.getMessage().contains("waiting for response headers") && e.getMessage().contains("2 attempts"),
                e.getMessage());
    }

    @Test
    void tooManyRequestsIsRetried() {
        server.fault(layer, FaultyRegistry.Fault.TOO_MANY_ONCE);
        f.puller.pull(ref("1"), PullOptions.defaults());
        f.assertHas(image);
        assertEquals(2, server.requestsFor(layer).size());
    }

    @Test
    void serverErrorsAreRetriedThenReported() {
        server.fault(layer, FaultyRegistry.Fault.UNAVAILABLE_ALWAYS);
        BerthException e = pullFails("1");
        assertEquals(ErrorCategory.UNAVAILABLE, e.category());
        assertTrue(e.getMessage().contains("HTTP 503") && e.getMessage().contains("2 attempts"), e.getMessage());
        f.assertConsistent();
    }

    @Test
    void headNotAllowedFallsBackToGet() {
        server.headMethodNotAllowed(true);
        f.puller.pull(ref("1"), PullOptions.defaults());
        f.assertHas(image);
    }

    @Test
    void oversizedManifest() {
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
                + "\",\"annotations\":{\"pad\":\"");
        sb.append("x".repeat(4_400_000)).append("\"}}");
        server.addRawManifest("big", sb.toString().getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_MANIFEST);
        BerthException e = pullFails("big");
        assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
        assertTrue(e.getMessage().contains("over the manifest size limit of 4393216"), e.getMessage());
        f.assertConsistent();
    }

    @Test
    void malformedJson() {
        server.addRawManifest("broken", "{\"schemaVersion\": 2, \"config\": ".getBytes(StandardCharsets.UTF_8),
                MediaTypes.OCI_MANIFEST);
        BerthException e = pullFails("broken");
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
        f.assertConsistent();
        assertTrue(f.content.list(i -> true).isEmpty());
    }

    @Test
    void unknownMediaType() {
        server.addRawManifest("odd", "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.example.odd+json\"}"
                .getBytes(StandardCharsets.UTF_8), "application/vnd.example.odd+json");
        BerthException e = pullFails("odd");
        assertEquals(ErrorCategory.NOT_IMPLEMENTED, e.category());
        assertTrue(e.getMessage().contains("application/vnd.example.odd+json"), e.getMessage());
    }

    @Test
    void schema1IsRefused() {
        server.addRawManifest("old", "{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}"
                .getBytes(StandardCharsets.UTF_8), MediaTypes.DOCKER_MANIFEST_V1_SIGNED);
        BerthException e = pullFails("old");
        assertEquals(ErrorCategory.NOT_IMPLEMENTED, e.category());
        assertTrue(e.getMessage().contains("schema 1"), e.getMessage());
    }

    @Test
    void missingTag() {
        BerthException e = pullFails("nope");
        assertEquals(ErrorCategory.NOT_FOUND, e.category());
        assertTrue(e.getMessage().contains("faulty/app:nope"), e.getMessage());
    }
}
