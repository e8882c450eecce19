package dev.hypervisor.store.etcd;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import io.etcd.jetcd.common.exception.ClosedClientException;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * What a failed etcd call means to callers, as the store port promises: a full etcd
 * ("database space exceeded", its quota alarm) is RESOURCE_EXHAUSTED, a compacted or future
 * revision OUT_OF_RANGE, a call on a closed store and everything about reaching etcd
 * (no connection, no leader, a timeout, refused credentials) UNAVAILABLE.
 */
final class EtcdFailures {

    private EtcdFailures() {}

    static DomainException of(String what, Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof DomainException domain) {
            return domain;
        }
        if (e instanceof ClosedClientException) {
            return DomainException.unavailable(what + ": the store is closed", e);
        }
        if (e instanceof TimeoutException) {
            return DomainException.unavailable(what + ": etcd did not answer in time", e);
        }
        String message = String.valueOf(e.getMessage());
        if (message.contains("database space exceeded")) {
            return new DomainException(ErrorCode.RESOURCE_EXHAUSTED,
                    what + ": etcd is out of space (its quota alarm is raised; compact and defragment it)", e);
        }
        if (message.contains("required revision has been compacted") || message.contains("required revision is a future revision")) {
            return new DomainException(ErrorCode.OUT_OF_RANGE, what + ": " + message, e);
        }
        if (message.contains("too many operations in txn request")) {
            return new DomainException(ErrorCode.INTERNAL, what + ": the transaction has more operations than etcd's"
                    + " --max-txn-ops allows (" + message + ")", e);
        }
        Status.Code code = code(e);
        return switch (code) {
            case PERMISSION_DENIED, UNAUTHENTICATED -> DomainException.unavailable(
                    what + ": etcd refused the daemon's credentials (" + message + ")", e);
            case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> new DomainException(ErrorCode.INTERNAL,
                    what + ": etcd rejected the request: " + message, e);
            default -> DomainException.unavailable(what + ": etcd is unreachable (" + message + ")", e);
        };
    }

    /**
     * Whether the request may have reached etcd and been applied although no answer came: a
     * timeout, a cut connection or a call cancelled in flight. A write that failed so is read
     * back, never resent.
     */
    static boolean outcomeUnknown(Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof TimeoutException) {
            return true;
        }
        Status.Code code = code(e);
        return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
                || code == Status.Code.CANCELLED || code == Status.Code.UNKNOWN;
    }

    static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static Status.Code code(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StatusRuntimeException s) {
                return s.getStatus().getCode();
            }
            if (t instanceof EtcdException etcd) {
                return Status.Code.valueOf(etcd.getErrorCode().name());
            }
        }
        return Status.Code.UNAVAILABLE;
    }
}
