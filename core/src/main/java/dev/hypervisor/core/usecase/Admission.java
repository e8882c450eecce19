package dev.hypervisor.core.usecase;

import java.util.Optional;

/** Whether this node takes new instances now, and why not when it does not (its data directory is full). */
@FunctionalInterface
public interface Admission {

    /** Takes every instance. */
    Admission OPEN = Optional::empty;

    /** Why the node refuses new instances now; empty when it takes them. */
    Optional<String> refusal();
}
