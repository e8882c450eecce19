package dev.hypervisor.core.network;

import dev.hypervisor.core.instance.Instance;

/**
 * The network port: joins instances to the network their spec names ({@code default}, the
 * node's bridge; {@code none}, loopback only) and takes them out again. Addresses come from
 * the network's IPAM in the store: never handed out twice, kept across restarts, freed on
 * {@link #detach}. Implemented by the network adapter.
 */
public interface Networks {

    /**
     * Gives the instance its own network namespace joined to its network, with its address
     * (the one it already holds, the one its spec asks for, or the next free one). Idempotent:
     * calling it again returns the same attachment and repairs what a crash left half-made.
     * RESOURCE_EXHAUSTED when the network has no free address; FAILED_PRECONDITION when the
     * asked-for address is taken or outside the subnet; NOT_FOUND for a network this node does
     * not have; UNAVAILABLE when the host's tools fail. On {@code none} the namespace has
     * loopback only and the attachment no address.
     */
    NetworkAttachment attachNamespace(Instance instance);

    /**
     * Gives a VM a TAP device on its network's bridge, for QEMU to open as the VM's NIC, and an
     * address for the guest to configure (the same IPAM as {@link #attachNamespace}). Idempotent:
     * calling it again returns the same attachment and makes a missing TAP again. Errors as
     * {@link #attachNamespace}. On {@code none} there is no TAP and no address.
     */
    TapAttachment attachTap(Instance instance);

    /** Removes the instance's namespace and host interfaces (veth or TAP) and frees its address. Idempotent. */
    void detach(Instance instance);

    /** Bytes the instance received and sent on its network (veth or TAP) since it was attached; zero when detached. */
    NetworkCounters counters(Instance instance);
}
