package dev.berth.controller.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.transfer.BlobProgress;
import dev.berth.engine.transfer.BlobProgress.Phase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 ("Registries that stall"): the progress line of a pull shows the bytes actually received,
 * including those a resumed request delivers, and says when a blob is stalled and being retried,
 * instead of {@code 0 B} for the whole stall.
 */
class StalledProgressLineTest {
    private static final Descriptor LAYER = Descriptor.of("application/vnd.oci.image.layer.v1.tar+gzip",
            Digest.sha256("layer"), 1_000_000);
    private static final String REF = "layer-" + LAYER.digest();

    private static void stallAndResume(ProgressDisplay d) {
        d.update(new BlobProgress(REF, LAYER, 0, Phase.DOWNLOADING));
        d.update(new BlobProgress(REF, LAYER, 300_000, Phase.DOWNLOADING));
        d.update(new BlobProgress(REF, LAYER, 300_000, Phase.RETRYING));
    }

    @Test
    void plainOutputSaysStalledRetryingWithTheBytesReceivedThenResumes() {
        StringWriter text = new StringWriter();
        try (ProgressDisplay d = new ProgressDisplay(new PrintWriter(text), false, "pulling")) {
            stallAndResume(d);
            d.update(new BlobProgress(REF, LAYER, 400_000, Phase.DOWNLOADING));
        }
        String out = text.toString();
        assertTrue(out.contains(REF + ": stalled, retrying 293.0 KiB/976.6 KiB"), out);
        assertTrue(out.contains(REF + ": downloading 390.6 KiB/976.6 KiB (resuming at 390.6 KiB)"), out);
    }

    @Test
    void terminalBlockShowsTheStallAndCountsResumedBytesInTheTotal() {
        StringWriter text = new StringWriter();
        try (ProgressDisplay d = new ProgressDisplay(new PrintWriter(text), true, "pulling")) {
            stallAndResume(d);
            Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> text.toString().contains("stalled, retrying"));
            d.update(new BlobProgress(REF, LAYER, 600_000, Phase.DOWNLOADING));
            Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> text.toString().contains("total: 585.9 KiB"));
        }
        String out = text.toString();
        assertTrue(out.contains("stalled, retrying") && out.contains("293.0 KiB/976.6 KiB"), out);
    }
}
