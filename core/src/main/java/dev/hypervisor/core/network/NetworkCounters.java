package dev.hypervisor.core.network;

/** Bytes an instance received and sent, as seen from inside it. */
public record NetworkCounters(long rxBytes, long txBytes) {

    public static final NetworkCounters ZERO = new NetworkCounters(0, 0);
}
