package dev.berth.engine.content.local;

import dev.berth.engine.content.Status;
import dev.berth.engine.oci.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The on-disk state of one ingest, containerd's layout: {@code ingest/<sha256(ref)>/} holding
 * {@code ref}, {@code data}, {@code startedat}, {@code updatedat} (RFC 3339) and {@code total}
 * (decimal, only when known). Small state files are written to {@code <file>.tmp} and renamed.
 * Not thread-safe; the store's ref lock serialises access.
 */
final class IngestDir {
    final Path dir;

    IngestDir(Path ingestRoot, String ref) {
        this.dir = ingestRoot.resolve(Digest.sha256(ref).hex());
    }

    private IngestDir(Path dir) {
        this.dir = dir;
    }

    static IngestDir at(Path dir) {
        return new IngestDir(dir);
    }

    Path data() {
        return dir.resolve("data");
    }

    boolean exists() {
        return Files.isDirectory(dir);
    }

    void create(String ref, Instant now, long total) throws IOException {
        Files.createDirectories(dir);
        writeState("ref", ref);
        writeState("startedat", now.toString());
        writeState("updatedat", now.toString());
        if (total > 0) {
            writeState("total", Long.toString(total));
        }
        Files.newByteChannel(data(), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE).close();
    }

    String ref() throws IOException {
        return readState("ref");
    }

    long total() throws IOException {
        String t = readStateOrNull("total");
        return t == null ? 0 : Long.parseLong(t.trim());
    }

    void setTotal(long total) throws IOException {
        writeState("total", Long.toString(total));
    }

    void touch(Instant now) throws IOException {
        writeState("updatedat", now.toString());
    }

    Status status() throws IOException {
        String ref = ref();
        long offset = Files.size(data());
        Instant started = Instant.parse(readState("startedat").trim());
        Instant updated = Instant.parse(readState("updatedat").trim());
        return new Status(ref, offset, total(), started, updated);
    }

    void delete() throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private void writeState(String name, String value) throws IOException {
        Path tmp = dir.resolve(name + ".tmp");
        Files.writeString(tmp, value, StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private String readState(String name) throws IOException {
        return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
    }

    private String readStateOrNull(String name) throws IOException {
        try {
            return readState(name);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    static void setTimes(Path file, Instant t) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(t));
    }
}
