package dev.hypervisor.images.unpack;

import java.io.IOException;

/** A layer that exceeds its {@link UnpackLimits}; the unpack stops as soon as the limit is crossed. */
public final class LayerTooLargeException extends IOException {

    public LayerTooLargeException(String message) {
        super(message);
    }

    public LayerTooLargeException(String message, Throwable cause) {
        super(message, cause);
    }
}
