package dev.hypervisor.core.driver;

import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.Metadata;

/**
 * A driver that knows, at CreateInstance, what no instance of its type could ever run with on
 * this node (a kernel path outside the node's kernel directories): refused at once rather than
 * accepted to end in ERROR.
 */
public interface SpecRules {

    /** INVALID_ARGUMENT naming the field when the driver could never run an instance with this spec. */
    void check(InstanceSpec spec, Metadata metadata);
}
