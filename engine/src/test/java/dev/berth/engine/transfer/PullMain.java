package dev.berth.engine.transfer;

import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.docker.RegistryOptions;
import java.nio.file.Path;
import java.time.Duration;

/** Pulls {@code args[1]} into the store at {@code args[0]}: a separate process for kill-and-resume tests. */
public final class PullMain {
    private PullMain() {
    }

    public static void main(String[] args) {
        PullFixture f = new PullFixture(Path.of(args[0]), RegistryOptions.builder()
                .progressTimeout(Duration.ofMinutes(5)));
        try {
            f.puller.pull(Reference.parse(args[1]), PullOptions.defaults());
        } finally {
            f.release();
        }
    }
}
