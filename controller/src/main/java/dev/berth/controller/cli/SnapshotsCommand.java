package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.snapshots.SnapshotInfo;
import dev.berth.engine.snapshots.SnapshotSettings;
import dev.berth.engine.snapshots.Snapshotter;
import dev.berth.engine.snapshots.Usage;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code berth snapshots ls|info|usage|mounts|rm|cleanup}, like {@code ctr snapshots}. Runs on the daemon's engine when one owns the root (see {@link Forwarding}), else on the engine
 * in-process.
 */
@Command(name = "snapshots", aliases = "snapshot", description = "Inspect and remove snapshots.",
        subcommands = {SnapshotsCommand.Ls.class, SnapshotsCommand.Info.class, SnapshotsCommand.UsageCmd.class,
            SnapshotsCommand.Mounts.class, SnapshotsCommand.Rm.class, SnapshotsCommand.Cleanup.class})
public final class SnapshotsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--snapshotter", scope = ScopeType.INHERIT, paramLabel = "NAME",
            description = "overlayfs or native (default: the configured snapshotter)")
    String snapshotter;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs {@code work} on the snapshotter: the daemon's when one owns the root; returns the exit code. */
    static int with(CommandSpec spec, BiConsumer<Snapshotter, PrintWriter> work) {
        SnapshotsCommand parent = (SnapshotsCommand) spec.parent().userObject();
        dev.berth.engine.config.Config c = GlobalOptions.of(spec).load();
        return EngineCommand.onEngine(spec, c, c, e -> {
            work.accept(snapshotter(e, parent), spec.commandLine().getOut());
            return 0;
        });
    }

    private static Snapshotter snapshotter(Engine e, SnapshotsCommand parent) {
        return e.snapshotters().get(parent.snapshotter != null ? parent.snapshotter
                : e.config().get(SnapshotSettings.SNAPSHOTTER));
    }

    @Command(name = "ls", aliases = "list", description = "List snapshots: key, parent, kind.")
    static final class Ls implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return with(spec, (sn, out) -> {
                List<SnapshotInfo> all = new ArrayList<>();
                sn.walk(all::add);
                out.printf("%-72s %-72s %s%n", "KEY", "PARENT", "KIND");
                for (SnapshotInfo i : all) {
                    out.printf("%-72s %-72s %s%n", i.name(), i.parent() == null ? "" : i.parent(), i.kind().label());
                }
            });
        }
    }

    @Command(name = "info", description = "Show one snapshot's kind, parent, labels and times.")
    static final class Info implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Override
        public Integer call() {
            return with(spec, (sn, out) -> {
                SnapshotInfo i = sn.stat(key);
                out.printf("Name:    %s%nParent:  %s%nKind:    %s%nCreated: %s%nUpdated: %s%n", i.name(),
                        i.parent() == null ? "" : i.parent(), i.kind().label(), i.created(), i.updated());
                i.labels().forEach((k, v) -> out.printf("Label:   %s=%s%n", k, v));
            });
        }
    }

    @Command(name = "usage", description = "Disk usage of snapshots (their own files, not their parents').")
    static final class UsageCmd implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "0..*", paramLabel = "KEY")
        List<String> keys;

        @Override
        public Integer call() {
            return with(spec, (sn, out) -> {
                List<String> ks = new ArrayList<>();
                if (keys == null || keys.isEmpty()) {
                    sn.walk(i -> ks.add(i.name()));
                } else {
                    ks.addAll(keys);
                }
                out.printf("%-72s %12s %8s%n", "KEY", "SIZE", "INODES");
                for (String k : ks) {
                    Usage u = sn.usage(k);
                    out.printf("%-72s %12d %8d%n", k, u.size(), u.inodes());
                }
            });
        }
    }

    @Command(name = "mounts", aliases = "m",
            description = "Print the mount commands for an active snapshot or view, as `ctr snapshots mounts` does.")
    static final class Mounts implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Parameters(index = "1", arity = "0..1", paramLabel = "TARGET", defaultValue = "/mnt")
        String target;

        @Override
        public Integer call() {
            return with(spec, (sn, out) -> {
                for (Mount m : sn.mounts(key)) {
                    out.printf("mount -t %s %s %s -o %s%n", m.type(), m.source(), target, String.join(",", m.options()));
                }
            });
        }
    }

    @Command(name = "rm", aliases = {"remove", "delete"}, description = "Remove snapshots (children first).")
    static final class Rm implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "1..*", paramLabel = "KEY")
        List<String> keys;

        @Override
        public Integer call() {
            return with(spec, (sn, out) -> {
                for (String k : keys) {
                    sn.remove(k);
                    out.println(k);
                }
            });
        }
    }

    @Command(name = "cleanup", description = "Delete snapshot directories no snapshot owns (left by a crash).")
    static final class Cleanup implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return with(spec, (sn, out) -> {
                sn.cleanup();
                out.println("cleaned " + sn.name());
            });
        }
    }
}
