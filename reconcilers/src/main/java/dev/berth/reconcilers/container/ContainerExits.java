package dev.berth.reconcilers.container;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.restart.CrashLoopBackOff;
import dev.berth.reconcilers.restart.RestartState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The Container reconciler's exits: each exit of a task is counted once (restart count, reason,
 * crash-loop backoff) and persisted in the {@link ContainerRecord} with an event. Thread-safe across
 * containers (the dispatcher never runs two reconciles of one container at once).
 */
final class ContainerExits {
    private final Clock clock;
    private final CrashLoopBackOff backOff;
    private final ContainerStates states;
    private final EventSink events;

    ContainerExits(Clock clock, CrashLoopBackOff backOff, ContainerStates states, EventSink events) {
        this.clock = clock;
        this.backOff = backOff;
        this.states = states;
        this.events = events;
    }

    /** Whether the exit of stopped task {@code ts} is already counted in {@code rec}. */
    static boolean counted(ContainerRecord rec, TaskStatus ts) {
        return rec.countedExitAt() != null && rec.countedExitAt() == key(ts).toEpochMilli();
    }

    /** What identifies one exit: the runtime's exit time (its create time should that be missing). */
    static Instant key(TaskStatus ts) {
        return ts.exitedAt() != null ? ts.exitedAt() : ts.createdAt();
    }

    /** Counts the exit of stopped task {@code ts} in {@code rec} (backoff when the policy restarts it), persisted, with its events. */
    ContainerRecord count(ObjectRef ref, ContainerSpec spec, ContainerRecord rec, TaskStatus ts) {
        Instant now = clock.instant();
        int code = ts.exitCode() == null ? 255 : ts.exitCode();
        String reason = ContainerStatuses.exitReason(ts, code);
        RestartState rs = null;
        if (spec.restartPolicy().restartsAfter(code)) {
            rs = backOff.onExit(rec.restartState(), rec.startedAt() == null ? null
                    : Instant.ofEpochMilli(rec.startedAt()), now);
        }
        rec = rec.exited(key(ts), code, reason, now, rs);
        states.put(ref.namespace(), ref.name(), rec);
        if (ts.oomKilled()) {
            events.warning(ref, "OOMKilled", "the kernel's OOM killer killed the container (memory limit "
                    + (spec.resources() == null ? "none" : spec.resources().memory()) + ")");
        }
        if (rs != null) {
            events.warning(ref, "BackOff", "exited with code " + code + " (" + reason + "); restarting in "
                    + Duration.between(now, rs.nextStartAt()).toSeconds() + "s");
        } else {
            events.normal(ref, "Exited", "exited with code " + code + " (" + reason + "); restartPolicy "
                    + spec.restartPolicy() + " keeps it down");
        }
        return rec;
    }
}
