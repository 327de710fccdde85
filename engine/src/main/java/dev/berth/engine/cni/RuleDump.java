package dev.berth.engine.cni;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.sys.Processes;
import java.time.Duration;
import java.util.List;

/**
 * One {@code iptables-save} (every table) shared by the drift probes of many sandboxes: a resync
 * of N sandboxes reads the rules once instead of N times. A dump is reused for at most
 * {@link #MAX_AGE} and only while no ADD or DEL of this runtime started or ended since it was taken
 * ({@link #changed}), so a sandbox built a moment ago is never judged by rules read before its
 * portmap ran. A probe that finds rules missing in a reused dump asks again with {@code fresh}
 * before it reports drift, so a reused dump can delay noticing a flush (to the next look), never
 * invent one. One instance serves every {@link Cni} of an engine (a Cni is made per use).
 * Thread-safe: concurrent callers wait for the one dump in progress.
 */
public final class RuleDump {
    /** How long one dump serves: about one resync pass of many sandboxes. */
    static final Duration MAX_AGE = Duration.ofSeconds(3);
    private long generation;
    private long takenAt;
    private long takenInGeneration = -1;
    private String text;

    /** An ADD or DEL starts or ends: rules read before now may be outdated. */
    synchronized void changed() {
        generation++;
    }

    /** The rules of every table as {@code iptables-save} prints them; {@code fresh} never reuses a dump. */
    synchronized String rules(boolean fresh) {
        long now = System.nanoTime();
        if (!fresh && text != null && takenInGeneration == generation && now - takenAt < MAX_AGE.toNanos()) {
            return text;
        }
        long gen = generation;
        Processes.Result r = Processes.run(List.of("iptables-save"), null, Cni.PLUGIN_TIMEOUT);
        if (!r.ok()) {
            throw BerthException.unavailable("cannot read the iptables rules (iptables-save) to check port mappings and"
                    + " firewall rules: %s", r.message());
        }
        text = r.stdout();
        takenAt = now;
        takenInGeneration = gen;
        return text;
    }
}
