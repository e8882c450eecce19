package dev.hypervisor.images.disk;

/** A disk image that cannot be used: unreadable, of an unsupported format, or unsafe. */
public class DiskImageException extends RuntimeException {
    public DiskImageException(String message) {
        super(message);
    }
}
