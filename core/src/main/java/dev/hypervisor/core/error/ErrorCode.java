package dev.hypervisor.core.error;

/** Why a domain operation failed; the server maps each code to one gRPC status. */
public enum ErrorCode {
    INVALID_ARGUMENT,
    NOT_FOUND,
    ALREADY_EXISTS,
    FAILED_PRECONDITION,
    RESOURCE_EXHAUSTED,
    ABORTED,
    OUT_OF_RANGE,
    UNAVAILABLE,
    DEADLINE_EXCEEDED,
    UNAUTHENTICATED,
    INTERNAL
}
