package dev.hypervisor.images.unpack;

/**
 * Caps on one layer's uncompressed size and entry count, so a decompression bomb stops early.
 *
 * @param maxBytes bytes of the uncompressed tar stream (headers and contents) that may be read
 * @param maxEntries tar entries that may be applied
 */
public record UnpackLimits(long maxBytes, long maxEntries) {

    public UnpackLimits {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        if (maxEntries <= 0) {
            throw new IllegalArgumentException("maxEntries must be positive: " + maxEntries);
        }
    }

    /** 32 GiB and two million entries: far above real layers, far below what fills a disk unnoticed. */
    public static UnpackLimits defaults() {
        return new UnpackLimits(32L << 30, 2_000_000);
    }
}
