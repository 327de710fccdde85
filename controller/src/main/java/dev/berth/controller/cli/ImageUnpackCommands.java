package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.config.Config;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.snapshots.SnapshotSettings;
import dev.berth.engine.unpack.Unpacker;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The unpack subcommands of {@code berth images}: {@code unpack}, {@code mount}, {@code unmount},
 * like {@code ctr images unpack/mount/unmount}. Each runs the engine in-process (it takes the root
 * lock, so it fails naming the daemon's pid while a daemon owns the root).
 */
final class ImageUnpackCommands {
    private ImageUnpackCommands() {
    }

    /** Options shared by the subcommands. */
    static final class Target {
        @Option(names = "--snapshotter", paramLabel = "NAME",
                description = "overlayfs or native (default: the configured snapshotter)")
        String snapshotter;

        @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "platform to unpack (default: this host)")
        String platform;

        String snapshotter(Engine e) {
            return snapshotter != null ? snapshotter : e.config().get(SnapshotSettings.SNAPSHOTTER);
        }

        PlatformMatcher matcher() {
            return platform == null ? Platforms.defaultMatcher() : Platforms.only(Platforms.parse(platform));
        }
    }

    @Command(name = "unpack", description = "Unpack an image into a snapshotter (layers already there are reused).")
    static final class Unpack implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "REF")
        String ref;

        @CommandLine.Mixin
        Target target = new Target();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            dev.berth.engine.config.Config c = GlobalOptions.of(spec).load();
            return EngineCommand.onEngine(spec, c, c, e -> {
                Unpacker.Result r = e.unpacker().unpack(ref, target.snapshotter(e), target.matcher());
                for (Unpacker.Layer l : r.layers()) {
                    out.printf("%-8s %s (diff %s)%n", l.applied() ? "applied" : "exists", l.chainId(), l.diffId());
                }
                out.printf("unpacked %s into %s: %s (%d of %d layers applied)%n", ref, r.snapshotter(), r.chainId(),
                        r.applied(), r.layers().size());
                return 0;
            });
        }
    }

    @Command(name = "mount", description = "Mount an image's root file system on DIR (read-only unless --rw).")
    static final class MountImage implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "REF")
        String ref;

        @Parameters(index = "1", paramLabel = "DIR")
        Path dir;

        @Option(names = "--rw", description = "a writable snapshot instead of a read-only view")
        boolean rw;

        @CommandLine.Mixin
        Target target = new Target();

        @Override
        public void run() {
            Config c = GlobalOptions.of(spec).load();
            EngineCommand.onEngine(spec, c, c, e -> {
                List<Mount> mounts = e.imageMounter().mount(ref, dir, target.snapshotter(e), target.matcher(), rw);
                spec.commandLine().getOut().printf("%s mounted on %s (%s)%n", ref, dir.toAbsolutePath(),
                        mounts.get(0).type());
                return 0;
            });
        }
    }

    @Command(name = "unmount", description = "Unmount DIR and remove the snapshot that `images mount` made for it.")
    static final class Unmount implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR")
        Path dir;

        @Option(names = "--snapshotter", paramLabel = "NAME", description = "the snapshotter used to mount")
        String snapshotter;

        @Override
        public void run() {
            Config c = GlobalOptions.of(spec).load();
            EngineCommand.onEngine(spec, c, c, e -> {
                String sn = snapshotter != null ? snapshotter : e.config().get(SnapshotSettings.SNAPSHOTTER);
                e.imageMounter().unmount(dir, sn);
                spec.commandLine().getOut().printf("%s unmounted%n", dir.toAbsolutePath());
                return 0;
            });
        }
    }
}
