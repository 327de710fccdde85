package dev.berth.crd.container;

/** Whether the container's task should be running. */
public enum DesiredState {
    /** Create and start the task (the default). */
    Running,
    /** Keep the container (and its snapshot) but no task. */
    Stopped
}
