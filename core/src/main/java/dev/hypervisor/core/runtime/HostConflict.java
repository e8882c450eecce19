package dev.hypervisor.core.runtime;

/**
 * Another daemon owns what a runtime needs on this host (its bridge, the addresses handed out
 * on it): not a runtime the host lacks, but a daemon that must not start.
 */
public class HostConflict extends IllegalStateException {
    public HostConflict(String message) {
        super(message);
    }
}
