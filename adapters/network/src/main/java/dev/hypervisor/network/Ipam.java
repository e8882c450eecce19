package dev.hypervisor.network;

import dev.hypervisor.core.network.Ipv4;
import dev.hypervisor.core.network.Subnet;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.KeyValue;
import dev.hypervisor.core.store.RangeResult;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.store.Txn;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands out a network's addresses, kept in the store so that they survive restarts:
 * {@code /ipam/<network>/addr/<ip>} holds the instance id and {@code /ipam/<network>/inst/<id>}
 * the address. Both keys are created in one transaction that requires both to be absent, so
 * no address goes to two instances and no instance gets two addresses, however many
 * allocations (or daemons sharing an etcd) race.
 *
 * <p>Free addresses are searched from an in-memory hint that starts after the highest
 * allocated one, so an allocation usually costs one read and one commit whatever the number
 * of instances; the scan wraps around to reuse released addresses once the end is reached.
 */
public final class Ipam {

    private static final int MAX_RELEASE_ATTEMPTS = 8;

    private final Store store;
    private final String network;
    private final Subnet subnet;
    private final AtomicLong hint;

    public Ipam(Store store, String network, Subnet subnet) {
        this.store = store;
        this.network = network;
        this.subnet = subnet;
        this.hint = new AtomicLong(highestAllocatedIndex() + 1);
    }

    private String addrKey(String ip) {
        return "/ipam/" + network + "/addr/" + ip;
    }

    private String instKey(String instanceId) {
        return "/ipam/" + network + "/inst/" + instanceId;
    }

    /** The address the instance holds, if any. */
    public Optional<String> addressOf(String instanceId) {
        return store.get(instKey(instanceId)).map(kv -> text(kv.value()));
    }

    /**
     * The instance's address: the one it holds, else {@code requested} (empty: any free one).
     * FAILED_PRECONDITION when the requested address is taken or not assignable in the subnet;
     * RESOURCE_EXHAUSTED when no address is free.
     */
    public String allocate(String instanceId, String requested) {
        Optional<String> held = addressOf(instanceId);
        if (held.isPresent()) {
            if (subnet.isAssignable(held.get())) {
                return held.get();
            }
            // Left from a daemon configured with another subnet: of no use on this bridge.
            release(instanceId);
        }
        return requested == null || requested.isEmpty() ? allocateAny(instanceId) : allocateStatic(instanceId, requested);
    }

    private String allocateStatic(String instanceId, String ip) {
        Ipv4.parse(ip, "spec.network.ip_address");
        if (!subnet.isAssignable(ip)) {
            throw DomainException.failedPrecondition("address " + ip + " is not assignable in subnet " + subnet
                    + " (the network, gateway " + subnet.gateway() + " and broadcast addresses are reserved)");
        }
        if (tryClaim(instanceId, ip)) {
            return ip;
        }
        Optional<String> raced = addressOf(instanceId);
        if (raced.isPresent()) {
            return raced.get(); // a concurrent attach of the same instance won; same outcome
        }
        String holder = store.get(addrKey(ip)).map(kv -> text(kv.value())).orElse("another instance");
        throw DomainException.failedPrecondition("address " + ip + " is already held by " + holder);
    }

    private String allocateAny(String instanceId) {
        long count = subnet.assignableCount();
        for (long probe = 0; probe < count; probe++) {
            // Each probe takes its own slot of the shared hint, so racing allocations try different addresses.
            String candidate = subnet.assignable(Math.floorMod(hint.getAndIncrement(), count));
            if (store.get(addrKey(candidate)).isPresent()) {
                continue; // a read is much cheaper than a failed durable commit
            }
            if (tryClaim(instanceId, candidate)) {
                return candidate;
            }
            Optional<String> raced = addressOf(instanceId);
            if (raced.isPresent()) {
                return raced.get();
            }
        }
        throw new DomainException(ErrorCode.RESOURCE_EXHAUSTED,
                "network " + network + " has no free address left in " + subnet + " (all " + count + " are in use)");
    }

    private boolean tryClaim(String instanceId, String ip) {
        Txn txn = Txn.create()
                .ifAbsent(addrKey(ip)).ifAbsent(instKey(instanceId))
                .put(addrKey(ip), bytes(instanceId)).put(instKey(instanceId), bytes(ip));
        return store.commitAndWait(txn).succeeded();
    }

    /** Frees the instance's address; nothing to do when it holds none. */
    public void release(String instanceId) {
        for (int attempt = 0; attempt < MAX_RELEASE_ATTEMPTS; attempt++) {
            Optional<KeyValue> inst = store.get(instKey(instanceId));
            if (inst.isEmpty()) {
                return;
            }
            Txn txn = Txn.create().ifModRevision(inst.get().key(), inst.get().modRevision()).delete(inst.get().key());
            Optional<KeyValue> addr = store.get(addrKey(text(inst.get().value())));
            // Delete the address key only while it still names this instance.
            if (addr.isPresent() && text(addr.get().value()).equals(instanceId)) {
                txn.ifModRevision(addr.get().key(), addr.get().modRevision()).delete(addr.get().key());
            }
            if (store.commitAndWait(txn).succeeded()) {
                return;
            }
        }
        throw DomainException.aborted("address of " + instanceId + " kept changing while being released; retry");
    }

    /** Read once at start-up: where the previous run's allocations end (-1 when none). */
    private long highestAllocatedIndex() {
        String prefix = "/ipam/" + network + "/addr/";
        long highest = -1;
        String after = "";
        while (true) {
            RangeResult page = store.range(prefix, after, 1000);
            for (KeyValue kv : page.kvs()) {
                String ip = kv.key().substring(prefix.length());
                if (subnet.isAssignable(ip)) {
                    highest = Math.max(highest, subnet.indexOf(ip));
                }
            }
            if (!page.more() || page.kvs().isEmpty()) {
                return highest;
            }
            after = page.kvs().get(page.kvs().size() - 1).key();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] value) {
        return new String(value, StandardCharsets.UTF_8);
    }
}
