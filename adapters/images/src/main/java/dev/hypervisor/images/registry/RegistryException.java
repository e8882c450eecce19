package dev.hypervisor.images.registry;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;

/** A registry operation that failed, with a {@link Kind} callers can act on; the message names the registry and reference. */
public class RegistryException extends DomainException {

    /** Why it failed. */
    public enum Kind {
        /** The repository, tag, manifest or blob does not exist there, or no manifest for this platform. */
        NOT_FOUND(ErrorCode.NOT_FOUND),
        /** The registry refused the credentials (or their absence), after the auth handshake. */
        UNAUTHORIZED(ErrorCode.FAILED_PRECONDITION),
        /** The registry could not be reached or kept failing (network errors, 5xx, 429) after retries. */
        UNAVAILABLE(ErrorCode.UNAVAILABLE),
        /** The registry answered something this client cannot accept: a bad status, document or digest. */
        PROTOCOL(ErrorCode.FAILED_PRECONDITION);

        private final ErrorCode code;

        Kind(ErrorCode code) {
            this.code = code;
        }
    }

    private final Kind kind;

    public RegistryException(Kind kind, String message) {
        super(kind.code, message);
        this.kind = kind;
    }

    public RegistryException(Kind kind, String message, Throwable cause) {
        super(kind.code, message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
