package dev.hypervisor.core.store;

/** A key's current value with the revisions that created and last modified it. */
public record KeyValue(String key, byte[] value, long createRevision, long modRevision) {}
