package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.config.Config;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.RemoteSettings;
import dev.berth.engine.remotes.docker.RegistryResolver;
import dev.berth.engine.transfer.ImagePuller;
import dev.berth.engine.transfer.PullOptions;
import dev.berth.engine.remotes.Resolved;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code berth pull REF}: pulls an image into the content store and records it, with a live
 * per-blob progress display like {@code ctr pull}. Opens the engine in-process under the root lock
 * (no daemon may own the root meanwhile).
 */
@Command(name = "pull", description = "Pull an image from a registry into the content store.")
public final class PullCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REF", description = "Image reference, e.g. busybox or registry:5000/app:1.")
    String ref;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "Platform to pull from a multi-platform image (default: this host's).")
    String platform;

    @Option(names = {"-q", "--quiet"}, description = "Print only the image digest.")
    boolean quiet;

    @Mixin
    RegistryOptionsMixin registry;

    @Override
    public void run() {
        Config c = registry.apply(GlobalOptions.of(spec).load());
        Reference r = Reference.parse(ref);
        PlatformMatcher matcher = platform == null ? Platforms.defaultMatcher() : Platforms.only(Platforms.parse(platform));
        boolean tty = System.console() != null && !quiet;
        try (RegistryResolver resolver = new RegistryResolver(registry.options(c));
             ProgressDisplay display = quiet ? null
                     : new ProgressDisplay(spec.commandLine().getOut(), tty, r + ": resolving")) {
            // resolve while the stores open: both mostly wait (network, class loading, SQLite)
            CompletableFuture<Resolved> resolving = CompletableFuture.supplyAsync(() -> resolver.resolve(r));
            Image img;
            try (Engine engine = Engine.open(c)) {
                PullOptions opts = new PullOptions(matcher, c.get(RemoteSettings.MAX_CONCURRENT_DOWNLOADS).intValue(),
                        display == null ? p -> { } : display);
                img = new ImagePuller(engine.content(), engine.images(), resolver).pull(join(resolving), opts);
            } finally {
                resolving.cancel(false);
            }
            if (display != null) {
                display.header(r + ": resolved " + img.target().digest());
                display.close();
                spec.commandLine().getOut().printf(Locale.ROOT, "pulled %s (%s) in %.1f s%n", img.name(),
                        img.target().digest(), display.elapsedSeconds());
            } else {
                spec.commandLine().getOut().println(img.target().digest());
            }
        }
    }

    private static Resolved join(CompletableFuture<Resolved> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw e;
        }
    }
}
