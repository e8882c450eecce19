package dev.hypervisor.images.unpack;

/**
 * What one layer unpack read.
 *
 * @param entries tar entries applied (whiteouts and skipped devices included)
 * @param bytes size of the uncompressed tar stream, the quantity {@link UnpackLimits#maxBytes()} caps
 * @param diffId {@code sha256:<hex>} of the uncompressed tar stream, to compare with the image
 *     config's {@code rootfs.diff_ids}
 */
public record UnpackResult(long entries, long bytes, String diffId) {}
