package dev.hypervisor.core.error;

/** A failure with a code the API can report; every error that leaves the core is one of these. */
public class DomainException extends RuntimeException {
    private final ErrorCode code;

    public DomainException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public DomainException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public static DomainException invalidArgument(String field, String problem) {
        return new DomainException(ErrorCode.INVALID_ARGUMENT, field + ": " + problem);
    }

    public static DomainException notFound(String what) {
        return new DomainException(ErrorCode.NOT_FOUND, what + " not found");
    }

    public static DomainException failedPrecondition(String message) {
        return new DomainException(ErrorCode.FAILED_PRECONDITION, message);
    }

    public static DomainException aborted(String message) {
        return new DomainException(ErrorCode.ABORTED, message);
    }

    public static DomainException unavailable(String message, Throwable cause) {
        return new DomainException(ErrorCode.UNAVAILABLE, message, cause);
    }
}
