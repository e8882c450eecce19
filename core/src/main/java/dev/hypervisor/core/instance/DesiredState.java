package dev.hypervisor.core.instance;

/** The intent the API recorded; the reconciler drives the observed state toward it. */
public enum DesiredState {
    RUNNING,
    STOPPED,
    DELETED
}
