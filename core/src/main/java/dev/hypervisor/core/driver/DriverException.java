package dev.hypervisor.core.driver;

/** A runtime operation failed; the message becomes the instance's error_message. */
public class DriverException extends RuntimeException {
    public DriverException(String message) {
        super(message);
    }

    public DriverException(String message, Throwable cause) {
        super(message, cause);
    }
}
