package dev.berth.engine.diff;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.mount.Unmount;
import dev.berth.engine.oci.Descriptor;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@link Applier} for tar layers (plain, gzip, zstd). A single overlay mount is applied straight
 * into its upper directory without mounting, whiteouts written in overlay form (containerd's fast
 * path); a single bind mount is applied into its source directory with whiteouts as deletions;
 * anything else is mounted on a temporary directory first. Thread-safe.
 */
public final class TarApplier implements Applier {
    private final long maxUnpackedSize;

    /** @param maxUnpackedSize bytes one layer may expand to (see {@link DiffSettings#MAX_LAYER_UNPACKED_SIZE}) */
    public TarApplier(long maxUnpackedSize) {
        this.maxUnpackedSize = maxUnpackedSize;
    }

    @Override
    public AppliedLayer apply(Descriptor layer, InputStream blob, List<Mount> mounts) {
        String what = layer.digest() == null ? "(unnamed layer)" : layer.digest().toString();
        if (mounts.size() == 1 && mounts.get(0).type().equals("overlay") && mounts.get(0).option("upperdir").isPresent()) {
            Mount m = mounts.get(0);
            return applyInto(Path.of(m.option("upperdir").get()), m.lowerDirs(), true, layer, blob, what);
        }
        if (mounts.size() == 1 && mounts.get(0).type().equals("bind") && !mounts.get(0).readOnly()) {
            return applyInto(Path.of(mounts.get(0).source()), List.of(), false, layer, blob, what);
        }
        Path target;
        try {
            target = Files.createTempDirectory("berth-apply-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Mount.mountAll(mounts, target);
            return applyInto(target, List.of(), false, layer, blob, what);
        } finally {
            Unmount.unmountAll(target);
            FileTree.deleteRecursively(target);
        }
    }

    @Override
    public AppliedLayer applyDetached(Descriptor layer, InputStream blob, Path dir) {
        String what = layer.digest() == null ? "(unnamed layer)" : layer.digest().toString();
        return applyInto(dir, List.of(), true, layer, blob, what);
    }

    /** Applies {@code blob} into {@code root}; {@code lowers} (nearest first) only in overlay mode. */
    public AppliedLayer applyInto(Path root, List<Path> lowers, boolean overlay, Descriptor layer, InputStream blob,
            String what) {
        try {
            DigestingStream digesting = new DigestingStream(
                    Decompression.open(blob, layer.mediaType()), maxUnpackedSize, what);
            // decompressing and hashing run on a thread of their own, ahead of the file writes
            try (ReadAhead tar = new ReadAhead(digesting)) {
                return applyEntries(tar, digesting, root, lowers, overlay, what);
            }
        } catch (BerthException e) {
            throw e;
        } catch (EOFException e) {
            throw BerthException.invalid("layer %s is truncated: %s", what, e.getMessage());
        } catch (IOException e) {
            throw BerthException.invalid("layer %s cannot be read: %s", what, e.getMessage());
        }
    }

    private static AppliedLayer applyEntries(ReadAhead tar, DigestingStream digesting, Path root, List<Path> lowers,
            boolean overlay, String what) throws IOException {
        TarReader reader = new TarReader(tar);
        LayerWriter writer = new LayerWriter(root.toAbsolutePath().normalize(), lowers, overlay);
        long entries = 0;
        TarHeader h;
        while ((h = reader.next()) != null) {
            try {
                writer.write(h, reader.content());
            } catch (BerthException e) {
                throw e.wrap("layer " + what);
            } catch (EOFException e) {
                throw e;
            } catch (IOException e) {
                throw BerthException.internal("layer " + what + ": cannot write entry " + h.shown() + ": " + e, e);
            }
            entries++;
        }
        writer.finish();
        // trailing bytes after the end marker belong to the digested stream
        tar.drain();
        return new AppliedLayer(digesting.digest(), digesting.count(), entries, writer.createdParents());
    }
}
