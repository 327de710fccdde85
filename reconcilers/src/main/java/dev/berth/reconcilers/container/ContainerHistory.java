package dev.berth.reconcilers.container;

import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.container.ContainerStatus.HistoryEntry;
import dev.berth.crd.status.Conditions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * A Container's history in its status ({@code status.history}, shown by {@code berth describe} and
 * {@code berth rollout history}): the last {@value #KEEP} reconciles that made a new runtime
 * container (created, recreated for a spec or image change, rolled out, rolled back), each with the
 * image digest it runs and, once the new task settles, whether it became Ready. Stateless and
 * thread-safe; the status itself is edited by one reconcile at a time.
 */
final class ContainerHistory {
    /** Entries kept, as a Deployment's revisionHistoryLimit. */
    static final int KEEP = 10;
    static final String PROGRESSING = "Progressing";

    private ContainerHistory() {
    }

    /** Appends a change that made a new runtime container from {@code digest}. */
    static void record(ContainerStatus st, Clock clock, Long generation, String digest, String action, String message) {
        List<HistoryEntry> h = st.getHistory() == null ? new ArrayList<>() : new ArrayList<>(st.getHistory());
        if (!h.isEmpty() && PROGRESSING.equals(h.get(h.size() - 1).outcome())) {
            HistoryEntry last = h.get(h.size() - 1);
            h.set(h.size() - 1, new HistoryEntry(last.time(), last.generation(), last.imageDigest(), last.action(),
                    "Replaced before it was Ready", last.message()));
        }
        h.add(new HistoryEntry(Conditions.format(clock.instant()), generation, digest, action, PROGRESSING, message));
        while (h.size() > KEEP) {
            h.remove(0);
        }
        st.setHistory(h);
    }

    /** Settles the newest entry, when it still says Progressing: Ready, or what keeps it from being Ready. */
    static void settle(ContainerStatus st, boolean ready, String reason, String message) {
        List<HistoryEntry> h = st.getHistory();
        if (h == null || !PROGRESSING.equals(h.get(h.size() - 1).outcome())) {
            return;
        }
        if (!ready && !"ProbeFailed".equals(reason) && !"CrashLoopBackOff".equals(reason)) {
            // still starting or waiting for a first verdict
            return;
        }
        HistoryEntry last = h.get(h.size() - 1);
        List<HistoryEntry> copy = new ArrayList<>(h);
        copy.set(copy.size() - 1, new HistoryEntry(last.time(), last.generation(), last.imageDigest(), last.action(),
                ready ? "Ready" : reason + ": " + message, last.message()));
        st.setHistory(copy);
    }
}
