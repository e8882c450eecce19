package dev.hypervisor.core.store;

/**
 * One change to one key. For a PUT, {@code value} is the new value; for a DELETE, the value
 * the key held just before it was deleted (etcd's prev_kv).
 */
public record WatchEvent(Type type, String key, byte[] value, long revision) {

    public enum Type { PUT, DELETE }
}
