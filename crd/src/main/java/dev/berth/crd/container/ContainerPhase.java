package dev.berth.crd.container;

/** Where a container is in its lifecycle, as shown in {@code status.phase}. */
public enum ContainerPhase {
    /** Not created yet: waiting for its image, snapshot or sandbox, or being created. */
    Pending,
    /** Created (runtime container exists) but its process has not been started. */
    Created,
    /** Its process is running. */
    Running,
    /** Its process exited and the restart policy keeps it down. */
    Exited,
    /** Its process exited and a restart is waiting for the crash-loop backoff to pass. */
    CrashLoopBackOff,
    /** Stopped because {@code spec.state} is Stopped. */
    Stopped,
    /** The runtime state could not be observed. */
    Unknown
}
