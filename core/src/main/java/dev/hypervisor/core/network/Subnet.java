package dev.hypervisor.core.network;

import dev.hypervisor.core.error.DomainException;

/**
 * An IPv4 subnet in CIDR form. Its first host address is the gateway (on the bridge); the
 * network and broadcast addresses and the gateway are never handed to instances.
 */
public record Subnet(long network, int prefixLength) {

    public Subnet {
        if (prefixLength < 8 || prefixLength > 30) {
            // Below /30 there is no address left after network, gateway and broadcast.
            throw DomainException.invalidArgument("subnet", "prefix length must be 8..30, got /" + prefixLength);
        }
        if ((network & ~mask(prefixLength)) != 0) {
            throw DomainException.invalidArgument("subnet",
                    Ipv4.format(network) + "/" + prefixLength + " has host bits set");
        }
    }

    /** Parses {@code a.b.c.d/n}; INVALID_ARGUMENT when malformed or when host bits are set. */
    public static Subnet parse(String cidr) {
        int slash = cidr == null ? -1 : cidr.indexOf('/');
        if (slash < 0) {
            throw DomainException.invalidArgument("subnet", "must be a.b.c.d/n, got \"" + cidr + "\"");
        }
        int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw DomainException.invalidArgument("subnet", "must be a.b.c.d/n, got \"" + cidr + "\"");
        }
        return new Subnet(Ipv4.parse(cidr.substring(0, slash), "subnet"), prefix);
    }

    private static long mask(int prefix) {
        return prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
    }

    public long size() {
        return 1L << (32 - prefixLength);
    }

    public long broadcast() {
        return network + size() - 1;
    }

    /** The first host address, which the bridge holds. */
    public String gateway() {
        return Ipv4.format(network + 1);
    }

    public boolean contains(String address) {
        return Ipv4.isValid(address) && contains(Ipv4.parse(address, "address"));
    }

    public boolean contains(long address) {
        return (address & mask(prefixLength)) == network;
    }

    /** Whether an instance may hold the address: inside, and not network, gateway or broadcast. */
    public boolean isAssignable(String address) {
        if (!contains(address)) {
            return false;
        }
        long value = Ipv4.parse(address, "address");
        return value > network + 1 && value < broadcast();
    }

    /** How many addresses instances can get. */
    public long assignableCount() {
        return size() - 3;
    }

    /** The {@code index}-th assignable address (0: the one after the gateway). */
    public String assignable(long index) {
        return Ipv4.format(network + 2 + index);
    }

    /** The inverse of {@link #assignable}. */
    public long indexOf(String address) {
        return Ipv4.parse(address, "address") - network - 2;
    }

    /**
     * Whether this subnet shares addresses with a route destination as {@code ip route} prints
     * it ({@code a.b.c.d/n}, a bare address, or {@code default}, which overlaps nothing here).
     */
    public boolean overlaps(String destination) {
        if (destination.equals("default")) {
            return false;
        }
        int slash = destination.indexOf('/');
        long other = Ipv4.parse(slash < 0 ? destination : destination.substring(0, slash), "destination");
        int otherPrefix = slash < 0 ? 32 : Integer.parseInt(destination.substring(slash + 1));
        int shorter = Math.min(prefixLength, otherPrefix);
        return shorter == 0 || (network & mask(shorter)) == (other & mask(shorter));
    }

    @Override
    public String toString() {
        return Ipv4.format(network) + "/" + prefixLength;
    }
}
