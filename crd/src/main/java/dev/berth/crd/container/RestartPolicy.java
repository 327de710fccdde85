package dev.berth.crd.container;

/** What to do when a container's process exits, as a Pod's {@code restartPolicy}. */
public enum RestartPolicy {
    /** Restart after every exit, with CrashLoopBackOff (the default). */
    Always,
    /** Restart only after a non-zero exit code. */
    OnFailure,
    /** Never restart; the exit is reported. */
    Never;

    /** Whether an exit with {@code exitCode} is followed by a restart. */
    public boolean restartsAfter(int exitCode) {
        return this == Always || (this == OnFailure && exitCode != 0);
    }
}
