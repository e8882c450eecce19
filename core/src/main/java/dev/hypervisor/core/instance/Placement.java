package dev.hypervisor.core.instance;

/** Where the caller would like the instance to run; recorded for the scheduler of cluster mode. */
public record Placement(String preferredNodeId, String region, String zone) {

    public static final Placement ANY = new Placement("", "", "");
}
