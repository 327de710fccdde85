package dev.berth.engine.content.local;

import dev.berth.engine.testing.FakeClock;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.content.Content;
import dev.berth.engine.content.ContentStore;
import dev.berth.engine.content.ContentStoreContract;
import dev.berth.engine.content.ContentWriter;
import dev.berth.engine.content.Status;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalContentStoreIT extends ContentStoreContract {
    @TempDir
    Path root;
    private MetadataStore md;
    private LocalContentStore store;
    private final FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));

    @BeforeEach
    void open() {
        md = MetadataStore.open(root.resolve("meta.db"));
        store = LocalContentStore.open(root.resolve("content"), md, clock);
    }

    @AfterEach
    void close() {
        md.close();
    }

    @Override
    protected ContentStore store() {
        return store;
    }

    static byte[] blob(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    @Test
    void layoutMatchesContainerdAndBlobsAreReadOnly() throws IOException {
        byte[] data = blob(1234);
        try (ContentWriter w = store.writer("layer-x")) {
            w.write(data, 0, 100);
            Path ingest = root.resolve("content/ingest").resolve(Digest.sha256("layer-x").hex());
            assertEquals("layer-x", Files.readString(ingest.resolve("ref")));
            assertTrue(Files.exists(ingest.resolve("data")));
            assertTrue(Files.exists(ingest.resolve("startedat")));
            Instant.parse(Files.readString(ingest.resolve("updatedat")));
            w.write(data, 100, data.length - 100);
            w.commit(data.length, Digest.sha256(data));
        }
        Path blob = root.resolve("content/blobs/sha256").resolve(Digest.sha256(data).hex());
        assertEquals(store.blobPath(Digest.sha256(data)), blob);
        assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(blob)));
        assertArrayEquals(data, Files.readAllBytes(blob));
        try (var s = Files.list(root.resolve("content/ingest"))) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void corruptBlobIsDetected() throws IOException {
        Descriptor d = Content.writeBytes(store, "t", blob(4096), Map.of());
        Path f = store.blobPath(d.digest());
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        byte[] bytes = Files.readAllBytes(f);
        bytes[17] ^= 1;
        Files.write(f, bytes);
        var e = expect(ErrorCategory.FAILED_PRECONDITION, () -> store.verify(d.digest()));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void crashMidWriteThenResume() throws Exception {
        int size = 3_000_000;
        int n = 1_234_567;
        byte[] data = blob(size);
        md.close();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                IngestCrashChild.class.getName(), root.toString(), Integer.toString(size), Integer.toString(n))
                .redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            StringBuilder out = new StringBuilder();
            while ((line = r.readLine()) != null && !line.equals("ready")) {
                out.append(line).append('\n');
            }
            assertEquals("ready", line, "child output: " + out);
        } finally {
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
        md = MetadataStore.open(root.resolve("meta.db"));
        store = LocalContentStore.open(root.resolve("content"), md, clock);
        Status s = store.status("layer-crash");
        assertEquals(n, s.offset());
        assertEquals(size, s.total());
        Descriptor d = Descriptor.of("x", Digest.sha256(data), size);
        try (ContentWriter w = store.writer("layer-crash", d)) {
            assertEquals(n, w.offset());
            Content.copy(w, new ByteArrayInputStream(data), d, Map.of());
        }
        store.verify(d.digest());
        try (InputStream in = store.open(d.digest())) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    @Test
    void reopenReconcilesFilesAndRecords() throws IOException {
        Descriptor kept = Content.writeBytes(store, "t", blob(10), Map.of("a", "b"));
        Descriptor lost = Content.writeBytes(store, "t", blob(11), Map.of());
        md.close();
        Files.delete(store.blobPath(lost.digest()));
        byte[] orphan = blob(12);
        Files.write(root.resolve("content/blobs/sha256").resolve(Digest.sha256(orphan).hex()), orphan);
        md = MetadataStore.open(root.resolve("meta.db"));
        store = LocalContentStore.open(root.resolve("content"), md, clock);
        assertEquals(Map.of("a", "b"), store.info(kept.digest()).labels());
        assertFalse(store.exists(lost.digest()));
        assertEquals(12, store.info(Digest.sha256(orphan)).size());
        assertEquals(2, store.list(i -> true).size());
    }

    @Test
    void recordsServedFromMemoryAreTheDatabasesAfterReopen() {
        Descriptor a = Content.writeBytes(store, "a", blob(20), Map.of("keep", "1", "drop", "2"));
        Descriptor b = Content.writeBytes(store, "b", blob(21), Map.of());
        Descriptor c = Content.writeBytes(store, "c", blob(22), Map.of("x", "y"));
        clock.advance(Duration.ofMinutes(1));
        store.update(a.digest(), Map.of("new", "3"), java.util.Set.of("labels.drop", "labels.new"));
        store.update(b.digest(), Map.of("only", "this"), java.util.Set.of());
        store.delete(c.digest());
        Content.writeBytes(store, "a-again", blob(20), Map.of("more", "4"));
        var live = store.list(i -> true);
        assertEquals(Map.of("keep", "1", "new", "3", "more", "4"), store.info(a.digest()).labels());
        assertEquals(Map.of("only", "this"), store.info(b.digest()).labels());
        assertFalse(store.list(i -> true).stream().anyMatch(i -> i.digest().equals(c.digest())));
        md.close();
        md = MetadataStore.open(root.resolve("meta.db"));
        store = LocalContentStore.open(root.resolve("content"), md, clock);
        assertEquals(live, store.list(i -> true));
    }

    @Test
    void staleIngestsAreCleanedUp() {
        try (ContentWriter w = store.writer("old")) {
            w.write(new byte[3], 0, 3);
        }
        ContentWriter held = store.writer("held-old");
        try {
            clock.advance(Duration.ofHours(25));
            store.writer("new").close();
            assertEquals(List.of("old"), store.cleanupStale(Duration.ofHours(24)));
            assertEquals(List.of("held-old", "new"), store.statuses().stream().map(Status::ref).toList());
        } finally {
            held.close();
        }
        clock.advance(Duration.ofHours(25));
        md.close();
        md = MetadataStore.open(root.resolve("meta.db"));
        store = LocalContentStore.open(root.resolve("content"), md, clock);
        assertEquals(List.of(), store.statuses(), "stale ingests are aborted when the store opens");
    }

    @Test
    void fullDiskFailsTheWriteAndAFreshWriterResumesConsistently() throws Exception {
        Path small = root.resolve("small");
        Files.createDirectories(small);
        dev.berth.engine.testing.Tools.run(List.of("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString()));
        try {
            LocalContentStore s = LocalContentStore.open(small.resolve("content"), md, clock);
            byte[] data = blob(3 << 20);
            ContentWriter w = s.writer("full");
            var e = expect(ErrorCategory.UNAVAILABLE, () -> {
                for (int i = 0; i < data.length; i += 65536) {
                    w.write(data, i, 65536);
                }
            });
            assertTrue(e.getMessage().contains("open a new one"), e.getMessage());
            expect(ErrorCategory.FAILED_PRECONDITION, () -> w.write(data, 0, 1));
            w.close();
            byte[] smallBlob = blob(100_000);
            try (ContentWriter again = s.writer("full")) {
                long kept = again.offset();
                assertTrue(kept > 0 && kept < data.length, "kept " + kept);
                assertEquals(Digest.sha256(java.util.Arrays.copyOf(data, (int) kept)), again.digest());
                again.truncate(0);
                again.write(smallBlob, 0, smallBlob.length);
                again.commit(smallBlob.length, Digest.sha256(smallBlob));
            }
            s.verify(Digest.sha256(smallBlob));
        } finally {
            dev.berth.engine.testing.Tools.run(List.of("umount", small.toString()));
        }
    }

}
