package dev.hypervisor.core.instance;

/** A disk of an instance: a unique name, a size, a medium ("ssd", "hdd") and whether it boots. */
public record DiskSpec(String name, long sizeBytes, String type, boolean boot) {}
