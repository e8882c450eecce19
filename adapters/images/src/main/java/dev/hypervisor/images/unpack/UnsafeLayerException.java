package dev.hypervisor.images.unpack;

import java.io.IOException;

/**
 * A layer entry that could write outside the target directory, or that cannot be applied without
 * following a symlink; the whole unpack fails and the caller discards what was written so far.
 */
public final class UnsafeLayerException extends IOException {

    private final String entry;

    public UnsafeLayerException(String entry, String reason) {
        super("unsafe layer entry '" + entry + "': " + reason);
        this.entry = entry;
    }

    /** The entry name as it appears in the tar. */
    public String entry() {
        return entry;
    }
}
