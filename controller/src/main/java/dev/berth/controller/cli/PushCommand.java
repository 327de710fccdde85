package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.config.Config;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.RemoteSettings;
import dev.berth.engine.remotes.Resolver;
import dev.berth.engine.transfer.ImagePusher;
import dev.berth.engine.transfer.PullOptions;
import dev.berth.engine.images.Platforms;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code berth push REF [LOCAL]}: pushes the image record {@code LOCAL} (default: {@code REF}) and
 * everything it references to the registry, as {@code ctr images push}.
 */
@Command(name = "push", description = "Push an image from the content store to a registry.")
public final class PushCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REF", description = "Destination reference.")
    String ref;

    @Parameters(index = "1", arity = "0..1", paramLabel = "LOCAL", description = "Local image name (default: REF).")
    String local;

    @Mixin
    RegistryOptionsMixin registry;

    @Override
    public void run() {
        Config c = registry.apply(GlobalOptions.of(spec).load());
        Reference dest = Reference.parse(ref);
        String name = local == null ? dest.toString() : Reference.parse(local).toString();
        EngineCommand.onEngine(spec, registry.root == null ? c : null, c, engine -> push(engine, c, dest, name));
    }

    private int push(Engine engine, Config c, Reference dest, String name) {
        boolean tty = Forwarding.interactive();
        try (Resolver resolver = registry.resolver(c);
             ProgressDisplay display = new ProgressDisplay(spec.commandLine().getOut(), tty, dest + ": pushing " + name)) {
            PullOptions opts = new PullOptions(Platforms.all(), c.get(RemoteSettings.MAX_CONCURRENT_DOWNLOADS).intValue(),
                    display);
            Descriptor d = new ImagePusher(engine.content(), engine.images(), resolver).push(name, dest, opts);
            display.header(dest + ": pushed " + d.digest());
            display.close();
            spec.commandLine().getOut().println("pushed " + dest + " (" + d.digest() + ")");
        }
        return 0;
    }
}
