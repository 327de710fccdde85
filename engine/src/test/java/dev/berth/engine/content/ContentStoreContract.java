package dev.berth.engine.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link ContentStore} must have (containerd's content test suite, in our
 * words). Subclasses supply a fresh, empty store per test.
 */
public abstract class ContentStoreContract {

    protected abstract ContentStore store();

    protected static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    protected static Descriptor desc(byte[] data) {
        return Descriptor.of("application/octet-stream", Digest.sha256(data), data.length);
    }

    protected static BerthException expect(ErrorCategory c, org.junit.jupiter.api.function.Executable e) {
        BerthException ex = assertThrows(BerthException.class, e);
        assertEquals(c, ex.category(), ex.getMessage());
        return ex;
    }

    @Test
    void writeCommitAndReadBack() throws IOException {
        byte[] data = random(300_000, 1);
        Descriptor d = desc(data);
        try (ContentWriter w = store().writer("layer-a", d)) {
            w.write(data, 0, 1000);
            w.write(data, 1000, data.length - 1000);
            assertEquals(data.length, w.offset());
            assertEquals(d.digest(), w.digest());
            assertEquals(d.digest(), w.commit(d.size(), d.digest(), Map.of("k", "v")));
        }
        try (InputStream in = store().open(d.digest())) {
            assertArrayEquals(data, in.readAllBytes());
        }
        try (InputStream in = store().open(d.digest(), 299_990)) {
            assertEquals(10, in.readAllBytes().length);
        }
        Info info = store().info(d.digest());
        assertEquals(data.length, info.size());
        assertEquals(Map.of("k", "v"), info.labels());
        assertTrue(store().statuses().isEmpty(), "ingest removed after commit");
        store().verify(d.digest());
    }

    @Test
    void expectedDigestAlreadyPresentIsAlreadyExists() {
        byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
        Content.writeBlob(store(), "a", new ByteArrayInputStream(data), desc(data), Map.of());
        expect(ErrorCategory.ALREADY_EXISTS, () -> store().writer("b", desc(data)));
        // the helper treats it as success and merges labels
        Content.writeBlob(store(), "c", new ByteArrayInputStream(new byte[0]), desc(data), Map.of("x", "1"));
        assertEquals("1", store().info(desc(data).digest()).labels().get("x"));
    }

    @Test
    void secondWriterOnSameRefIsLocked() {
        try (ContentWriter w = store().writer("ref-1")) {
            BerthException e = expect(ErrorCategory.LOCKED, () -> store().writer("ref-1"));
            assertTrue(e.getMessage().contains("ref ref-1 locked"), e.getMessage());
            store().writer("ref-2").close();
            expect(ErrorCategory.LOCKED, () -> store().abort("ref-1"));
        }
        store().writer("ref-1").close();
    }

    @Test
    void concurrentWritersOnOneRefGetExactlyOneWriter() throws Exception {
        int n = 8;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch losers = new CountDownLatch(n - 1);
        try {
            List<Future<String>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(pool.submit(() -> {
                    start.await();
                    try (ContentWriter w = store().writer("shared")) {
                        // hold the ref until every other thread has tried and failed
                        losers.await(30, java.util.concurrent.TimeUnit.SECONDS);
                        return "writer";
                    } catch (BerthException e) {
                        losers.countDown();
                        return e.category().name();
                    }
                }));
            }
            start.countDown();
            List<String> results = new ArrayList<>();
            for (Future<String> f : fs) {
                results.add(f.get());
            }
            assertEquals(1, results.stream().filter("writer"::equals).count(), results.toString());
            assertEquals(n - 1, results.stream().filter("LOCKED"::equals).count(), results.toString());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void openWriterWaitsForALockedRef() throws Exception {
        ContentWriter first = store().writer("wait");
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            first.close();
        });
        t.start();
        try (ContentWriter second = Content.openWriter(store(), "wait", null, Duration.ofSeconds(30))) {
            assertEquals("wait", second.ref());
        }
        t.join();
    }

    @Test
    void closeKeepsProgressAndResumes() throws IOException {
        byte[] data = random(100_000, 2);
        Descriptor d = desc(data);
        try (ContentWriter w = store().writer("resume", d)) {
            w.write(data, 0, 40_000);
        }
        Status s = store().status("resume");
        assertEquals(40_000, s.offset());
        assertEquals(data.length, s.total());
        try (ContentWriter w = store().writer("resume", d)) {
            assertEquals(40_000, w.offset());
            Content.copy(w, new ByteArrayInputStream(data), d, Map.of());
        }
        try (InputStream in = store().open(d.digest())) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    @Test
    void resumeWithDifferentTotalFails() {
        store().writer("t", Descriptor.of("x", null, 10)).close();
        expect(ErrorCategory.FAILED_PRECONDITION, () -> store().writer("t", Descriptor.of("x", null, 11)));
    }

    @Test
    void digestMismatchCommitsNothing() {
        byte[] data = random(5000, 3);
        Digest wrong = Digest.sha256("something else");
        try (ContentWriter w = store().writer("bad")) {
            w.write(data, 0, data.length);
            BerthException e = expect(ErrorCategory.FAILED_PRECONDITION, () -> w.commit(data.length, wrong));
            assertTrue(e.getMessage().contains(wrong.toString()), e.getMessage());
        }
        assertFalse(store().exists(wrong));
        assertFalse(store().exists(Digest.sha256(data)));
        assertTrue(store().statuses().isEmpty(), "a corrupt ingest is discarded, not resumed");
    }

    @Test
    void shortCommitKeepsIngestForResume() {
        byte[] data = random(5000, 4);
        try (ContentWriter w = store().writer("short")) {
            w.write(data, 0, 3000);
            expect(ErrorCategory.FAILED_PRECONDITION, () -> w.commit(data.length, Digest.sha256(data)));
        }
        assertEquals(3000, store().status("short").offset());
        ContentWriter w = store().writer("short");
        assertEquals(3000, w.offset());
        w.write(data, 3000, 2000);
        w.commit(data.length, Digest.sha256(data));
        assertTrue(store().exists(Digest.sha256(data)));
    }

    @Test
    void truncateRestartsTheIngest() {
        byte[] data = random(1000, 5);
        try (ContentWriter w = store().writer("tr")) {
            w.write(new byte[500], 0, 500);
            w.truncate(0);
            w.write(data, 0, data.length);
            w.commit(data.length, Digest.sha256(data));
        }
        store().verify(Digest.sha256(data));
    }

    @Test
    void labelsUpdateWalkAndDelete() {
        Descriptor a = Content.writeBytes(store(), "t", "a".getBytes(StandardCharsets.UTF_8), Map.of("role", "x", "keep", "1"));
        Descriptor b = Content.writeBytes(store(), "t", "b".getBytes(StandardCharsets.UTF_8), Map.of());
        store().setLabel(b.digest(), "containerd.io/gc.root", "2026-01-01T00:00:00Z");
        assertEquals(List.of(b.digest()), store().list(ContentFilters.parse("labels.\"containerd.io/gc.root\""))
                .stream().map(Info::digest).toList());
        assertEquals(List.of(a.digest()), store().list(ContentFilters.parse("labels.role==x")).stream().map(Info::digest).toList());
        assertEquals(2, store().list(ContentFilters.all()).size());
        store().update(a.digest(), Map.of(), Set.of("labels.role"));
        assertEquals(Map.of("keep", "1"), store().info(a.digest()).labels());
        store().update(a.digest(), Map.of("only", "this"), Set.of());
        assertEquals(Map.of("only", "this"), store().info(a.digest()).labels());
        expect(ErrorCategory.INVALID_ARGUMENT, () -> store().update(a.digest(), Map.of(), Set.of("size")));
        expect(ErrorCategory.INVALID_ARGUMENT, () -> store().setLabel(a.digest(), "big", "x".repeat(5000)));
        store().delete(a.digest());
        assertFalse(store().exists(a.digest()));
        expect(ErrorCategory.NOT_FOUND, () -> store().info(a.digest()));
        expect(ErrorCategory.NOT_FOUND, () -> store().delete(a.digest()));
        expect(ErrorCategory.NOT_FOUND, () -> store().open(a.digest()));
        assertEquals(1, store().list(ContentFilters.all()).size());
    }

    @Test
    void abortRemovesIngest() {
        try (ContentWriter w = store().writer("ab")) {
            w.write(new byte[10], 0, 10);
        }
        assertEquals(1, store().statuses().size());
        store().abort("ab");
        assertTrue(store().statuses().isEmpty());
        expect(ErrorCategory.NOT_FOUND, () -> store().abort("ab"));
        expect(ErrorCategory.NOT_FOUND, () -> store().status("ab"));
    }

    @Test
    void writerAbortDiscardsAndReleases() {
        ContentWriter w = store().writer("wab");
        w.write(new byte[100], 0, 100);
        w.abort();
        w.abort();
        w.close();
        expect(ErrorCategory.NOT_FOUND, () -> store().status("wab"));
        try (ContentWriter again = store().writer("wab")) {
            assertEquals(0, again.offset());
        }
    }

    @Test
    void readAllChecksSize() {
        Descriptor d = Content.writeBytes(store(), "t", "{}".getBytes(StandardCharsets.UTF_8), Map.of());
        assertArrayEquals("{}".getBytes(StandardCharsets.UTF_8), store().readAll(d, 100));
        expect(ErrorCategory.FAILED_PRECONDITION, () -> store().readAll(Descriptor.of("t", d.digest(), 3), 100));
        expect(ErrorCategory.FAILED_PRECONDITION, () -> store().readAll(d, 1));
    }
}
