package dev.berth.engine.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.content.ContentStore;
import dev.berth.engine.content.local.LocalContentStore;
import dev.berth.engine.images.ImageStore;
import dev.berth.engine.images.MetadataImageStore;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.remotes.docker.RegistryOptions;
import dev.berth.engine.remotes.docker.RegistryResolver;
import dev.berth.engine.testing.BuiltImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A throw-away content store, image store and resolver in a temp dir for pull tests; {@link #close}
 * deletes it all. Not thread-safe.
 */
final class PullFixture implements AutoCloseable {
    final Path root;
    final MetadataStore metadata;
    final ContentStore content;
    final ImageStore images;
    final RegistryResolver resolver;
    final ImagePuller puller;

    PullFixture(RegistryOptions.Builder options) {
        this(tempRoot(), options);
    }

    PullFixture(Path root, RegistryOptions.Builder options) {
        this.root = root;
        this.metadata = MetadataStore.open(root.resolve("meta.db"));
        this.content = LocalContentStore.open(root.resolve("content"), metadata, Clock.systemUTC());
        this.images = new MetadataImageStore(metadata, Clock.systemUTC());
        this.resolver = new RegistryResolver(options.build());
        this.puller = new ImagePuller(content, images, resolver);
    }

    /** Options suited to tests: quick backoff, short timeouts. */
    static RegistryOptions.Builder fastOptions() {
        return RegistryOptions.builder().backoff(Duration.ofMillis(10), Duration.ofMillis(50))
                .responseTimeout(Duration.ofSeconds(5)).progressTimeout(Duration.ofSeconds(2));
    }

    static Path tempRoot() {
        try {
            return Files.createTempDirectory("berth-pull-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    byte[] blob(Digest d) {
        try (InputStream in = content.open(d)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every blob of {@code img} (all platforms when {@code all}) is stored with the same bytes. */
    void assertHas(BuiltImage img) {
        for (Map.Entry<Digest, byte[]> e : img.blobs().entrySet()) {
            assertTrue(content.exists(e.getKey()), "missing blob " + e.getKey());
            assertArrayEquals(e.getValue(), blob(e.getKey()), "bytes of " + e.getKey());
        }
    }

    /** No ingest is left and every committed blob re-hashes to its digest. */
    void assertConsistent() {
        assertEquals(java.util.List.of(), content.statuses().stream().map(s -> s.ref()).toList(), "ingests left");
        content.walk(i -> true, i -> content.verify(i.digest()));
    }

    @Override
    public void close() {
        release();
        deleteTree(root);
    }

    /** Closes the stores but keeps the directory (another fixture or process may reopen it). */
    void release() {
        resolver.close();
        metadata.close();
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
