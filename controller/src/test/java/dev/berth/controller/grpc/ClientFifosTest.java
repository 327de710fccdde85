package dev.berth.controller.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client's FIFOs keep what was written for a reader that opens them late. */
class ClientFifosTest {
    @TempDir
    Path tmp;

    @Test
    void aReaderThatOpensAfterTheWritesStillGetsThemAll() throws Exception {
        Path out = fifo("stdout");
        Path err = fifo("stderr");
        ClientFifos fifos = ClientFifos.open("default", "t", out.toString(), err.toString());
        fifos.write(false, "out\n");
        fifos.write(true, "err\n");
        // as ctr's reader goroutines do under load: the readers open only after the output was written
        CompletableFuture<String> readOut = CompletableFuture.supplyAsync(() -> readAfter(out, 300));
        CompletableFuture<String> readErr = CompletableFuture.supplyAsync(() -> readAfter(err, 300));
        fifos.finish(Duration.ofSeconds(2), Duration.ofSeconds(30));
        assertEquals("out\n", readOut.get(30, TimeUnit.SECONDS));
        assertEquals("err\n", readErr.get(30, TimeUnit.SECONDS));
    }

    @Test
    void aReaderThatNeverComesCostsTheGraceAndNoMore() throws Exception {
        ClientFifos fifos = ClientFifos.open("default", "t", fifo("stdout").toString(), "");
        fifos.write(false, "nobody reads this\n");
        fifos.finish(Duration.ofSeconds(30), Duration.ofMillis(50)); // a client gone away does not hold the task
        assertFalse(fifos.write(false, "x"), "closed after the grace");
    }

    @Test
    void aReaderThatStoppedReadingCostsTheStallAndNoMore() throws Exception {
        ClientFifos fifos = ClientFifos.open("default", "t", fifo("stdout").toString(), "");
        fifos.write(false, "nobody reads this\n");
        long t = System.nanoTime();
        fifos.finish(Duration.ofMillis(100), Duration.ofSeconds(30));
        assertTrue(System.nanoTime() - t < Duration.ofSeconds(20).toNanos(), "ended by the stall, not the grace");
        assertFalse(fifos.write(false, "x"), "closed once nothing was taken");
    }

    private Path fifo(String name) throws Exception {
        Path p = tmp.resolve(name);
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor());
        return p;
    }

    private static String readAfter(Path fifo, long millis) {
        try {
            Thread.sleep(millis);
            try (InputStream in = Files.newInputStream(fifo)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
