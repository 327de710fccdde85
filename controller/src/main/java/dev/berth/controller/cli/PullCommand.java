package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.config.Config;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.RemoteSettings;
import dev.berth.engine.remotes.Resolver;
import dev.berth.engine.transfer.PullOptions;
import dev.berth.engine.snapshots.SnapshotSettings;
import dev.berth.engine.unpack.Unpacker;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code berth pull REF [--unpack]}: pulls an image into the content store and records it, with a
 * live per-blob progress display like {@code ctr pull}. Runs in the daemon when one owns the root
 * (its warm JVM does the hashing and inflating; the display streams back to the client, see
 * {@link Forwarding}), else on an engine opened in-process.
 */
@Command(name = "pull", description = {"Pull an image from a registry into the content store.",
    "Unlike `ctr pull`, unpacking is not the default: `berth run` and the Container reconciler unpack on "
        + "demand; --unpack does it now, into the configured snapshotter."})
public final class PullCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REF", description = "Image reference, e.g. busybox or registry:5000/app:1.")
    String ref;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "Platform to pull from a multi-platform image (default: this host's).")
    String platform;

    @Option(names = {"-q", "--quiet"}, description = "Print only the image digest.")
    boolean quiet;

    @Option(names = "--unpack", description = "Also unpack the image into the snapshotter (default: off).")
    boolean unpack;

    @Option(names = "--snapshotter", paramLabel = "NAME", description = "Snapshotter for --unpack (default: the configured one).")
    String snapshotter;

    @Mixin
    RegistryOptionsMixin registry;

    @Override
    public Integer call() {
        Config c = registry.apply(GlobalOptions.of(spec).load());
        return EngineCommand.onEngine(spec, registry.root == null ? c : null, c, engine -> pull(engine, c));
    }

    private int pull(Engine engine, Config c) {
        Reference r = Reference.parse(ref);
        PlatformMatcher matcher = platform == null ? Platforms.defaultMatcher() : Platforms.only(Platforms.parse(platform));
        boolean tty = Forwarding.interactive() && !quiet;
        PrintWriter out = spec.commandLine().getOut();
        try (Resolver resolver = registry.resolver(c);
             ProgressDisplay display = quiet ? null : new ProgressDisplay(out, tty, r + ": resolving")) {
            PullOptions opts = new PullOptions(matcher, c.get(RemoteSettings.MAX_CONCURRENT_DOWNLOADS).intValue(),
                    display == null ? p -> { } : display);
            Image img = engine.puller(resolver).pull(resolver.resolve(r), opts);
            if (display != null) {
                display.header(r + ": resolved " + img.target().digest());
                display.close();
                out.printf(Locale.ROOT, "pulled %s (%s) in %.1f s%n", img.name(), img.target().digest(),
                        display.elapsedSeconds());
            } else {
                out.println(img.target().digest());
            }
            if (unpack) {
                String sn = snapshotter != null ? snapshotter : engine.config().get(SnapshotSettings.SNAPSHOTTER);
                Unpacker.Result u = engine.unpacker().unpack(img.name(), sn, matcher);
                if (!quiet) {
                    out.printf(Locale.ROOT, "unpacked %s into %s: %s (%d of %d layers applied)%n", img.name(),
                            u.snapshotter(), u.chainId(), u.applied(), u.layers().size());
                }
            }
        }
        return 0;
    }
}
