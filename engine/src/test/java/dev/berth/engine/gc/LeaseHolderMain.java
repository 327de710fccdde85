package dev.berth.engine.gc;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.content.Content;
import dev.berth.engine.leases.LeaseManager;
import dev.berth.engine.leases.LeaseResource;
import dev.berth.engine.oci.Descriptor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * A process that owns the engine at {@code args[0]} (root) / {@code args[1]} (state), stores a blob
 * held only by a temporary lease (as a pull in progress does), prints {@code held <digest>} and
 * waits to be killed: the daemon that dies mid-work in {@link DeadProcessLeasesIT}.
 */
public final class LeaseHolderMain {
    private LeaseHolderMain() {
    }

    public static void main(String[] args) throws Exception {
        Engine engine = Engine.open(Config.defaults().with(EngineSettings.ROOT, args[0])
                .with(EngineSettings.STATE, args[1]));
        LeaseManager.Held lease = engine.leases().createTemporary("pull", Duration.ofHours(24));
        byte[] data = ("blob of a pull in progress " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        Descriptor d = Content.writeBytes(engine.content(), "application/octet-stream", data, Map.of());
        lease.add(LeaseResource.content(d.digest()));
        System.out.println("held " + d.digest());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
