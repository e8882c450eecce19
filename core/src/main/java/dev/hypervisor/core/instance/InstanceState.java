package dev.hypervisor.core.instance;

/** Where an instance is in its lifecycle; {@link Lifecycle} says which moves are allowed. */
public enum InstanceState {
    CREATING,
    STARTING,
    RUNNING,
    STOPPING,
    STOPPED,
    RESTARTING,
    ERROR,
    DELETED;

    /** States in which a runtime process may exist and must be stopped before it is destroyed. */
    public boolean mayBeRunning() {
        return this == STARTING || this == RUNNING || this == STOPPING || this == RESTARTING;
    }
}
