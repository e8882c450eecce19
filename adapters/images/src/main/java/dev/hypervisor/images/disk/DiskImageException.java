package dev.hypervisor.images.disk;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;

/**
 * A disk image that cannot be had or used: missing at its URL (NOT_FOUND), unreachable
 * (UNAVAILABLE), or unreadable, of an unsupported format or unsafe (FAILED_PRECONDITION).
 */
public class DiskImageException extends DomainException {
    public DiskImageException(String message) {
        super(ErrorCode.FAILED_PRECONDITION, message);
    }

    public DiskImageException(ErrorCode code, String message) {
        super(code, message);
    }
}
