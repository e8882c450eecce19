package dev.hypervisor.core.driver;

/**
 * A runtime operation failed; the message becomes the instance's error_message. A retryable
 * one (a host tool that timed out, EAGAIN, a busy device) may not happen on a later attempt:
 * the reconciler tries the step again, with back-off, before it calls the instance failed.
 */
public class DriverException extends RuntimeException {

    private final boolean retryable;

    public DriverException(String message) {
        this(message, null, false);
    }

    public DriverException(String message, Throwable cause) {
        this(message, cause, false);
    }

    public DriverException(String message, Throwable cause, boolean retryable) {
        super(message, cause);
        this.retryable = retryable;
    }

    /** Worth another attempt of the same step. */
    public boolean retryable() {
        return retryable;
    }
}
