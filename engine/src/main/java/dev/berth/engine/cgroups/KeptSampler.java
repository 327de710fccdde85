package dev.berth.engine.cgroups;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link CgroupSampler} over kept descriptors: one {@link FileChannel} per file per cgroup, read
 * with {@code pread} at offset 0 (a cgroup file is a seq_file whose content the kernel builds
 * afresh on each read from the start). A file found missing is remembered as missing for that
 * cgroup (a cgroup's files are fixed when it is made). A read that fails (ENODEV once the cgroup is
 * removed) makes the whole cgroup read as gone. Thread-safe: every method is synchronized.
 */
final class KeptSampler implements CgroupSampler {
    /** Every sampler's kept descriptors together stay under this. */
    static final int BUDGET = budget(Path.of("/proc/self/limits"));
    private static final AtomicInteger KEPT = new AtomicInteger();

    private final Cgroups cgroups;
    private final BiFunction<String, SampleReader.Source, List<CgroupSample>> reader;
    private final Map<String, Kept> byCgroup = new HashMap<>();
    private ByteBuffer buffer = ByteBuffer.allocateDirect(16 << 10);
    private byte[] bytes = new byte[16 << 10];

    KeptSampler(Cgroups cgroups, BiFunction<String, SampleReader.Source, List<CgroupSample>> reader) {
        this.cgroups = cgroups;
        this.reader = reader;
    }

    /** The open files of one cgroup; a null value marks a file that does not exist. */
    private final class Kept implements SampleReader.Source {
        final Map<Path, FileChannel> open = new HashMap<>();
        boolean gone;

        @Override
        public String read(Path file) {
            FileChannel c = open.get(file);
            if (c == null) {
                if (open.containsKey(file)) {
                    return null;
                }
                if (KEPT.get() >= BUDGET) {
                    return SampleReader.DIRECT.read(file);
                }
                try {
                    c = FileChannel.open(file);
                    KEPT.incrementAndGet();
                } catch (NoSuchFileException e) {
                    open.put(file, null);
                    return null;
                } catch (IOException e) {
                    return null;
                }
                open.put(file, c);
            }
            try {
                return readFromStart(c);
            } catch (IOException e) {
                // ENODEV: the cgroup was removed under us
                gone = true;
                return null;
            }
        }

        void close() {
            for (FileChannel c : open.values()) {
                if (c != null) {
                    closeQuietly(c);
                }
            }
            open.clear();
        }
    }

    private String readFromStart(FileChannel c) throws IOException {
        buffer.clear();
        long pos = 0;
        for (int n = c.read(buffer, pos); n > 0; n = c.read(buffer, pos)) {
            pos += n;
            if (!buffer.hasRemaining()) {
                ByteBuffer bigger = ByteBuffer.allocateDirect(buffer.capacity() * 2);
                buffer.flip();
                bigger.put(buffer);
                buffer = bigger;
            }
        }
        buffer.flip();
        int len = buffer.remaining();
        if (bytes.length < len) {
            bytes = new byte[buffer.capacity()];
        }
        buffer.get(bytes, 0, len);
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
    }

    @Override
    public synchronized List<CgroupSample> sample(String rel) {
        Kept f = byCgroup.get(rel);
        if (f == null) {
            if (!cgroups.exists(rel)) {
                return List.of();
            }
            f = new Kept();
            byCgroup.put(rel, f);
        }
        List<CgroupSample> out = reader.apply(rel, f);
        if (f.gone) {
            drop(rel);
            return List.of();
        }
        return out;
    }

    @Override
    public synchronized void retain(Set<String> keep) {
        for (String rel : new ArrayList<>(byCgroup.keySet())) {
            if (!keep.contains(rel)) {
                drop(rel);
            }
        }
    }

    private void drop(String rel) {
        Kept f = byCgroup.remove(rel);
        if (f != null) {
            f.close();
        }
    }

    @Override
    public synchronized int openFiles() {
        int n = 0;
        for (Kept f : byCgroup.values()) {
            for (FileChannel c : f.open.values()) {
                n += c == null ? 0 : 1;
            }
        }
        return n;
    }

    @Override
    public synchronized void close() {
        for (Iterator<Kept> it = byCgroup.values().iterator(); it.hasNext();) {
            it.next().close();
            it.remove();
        }
    }

    private static void closeQuietly(FileChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // a cgroup file's close has nothing to flush
        }
        KEPT.decrementAndGet();
    }

    /**
     * A quarter of the soft open-file limit, at most 65536: the daemon's sockets, pipes and
     * databases keep the rest. 1024 when the limit cannot be read.
     */
    static int budget(Path limits) {
        try {
            Matcher m = Pattern.compile("^Max open files\\s+(\\d+|unlimited)", Pattern.MULTILINE)
                    .matcher(Files.readString(limits));
            if (m.find()) {
                long soft = m.group(1).equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(m.group(1));
                return (int) Math.min(65536, soft / 4);
            }
        } catch (IOException | RuntimeException e) {
            // fall through to the conservative default
        }
        return 1024;
    }
}
