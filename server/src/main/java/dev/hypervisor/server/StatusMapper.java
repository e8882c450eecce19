package dev.hypervisor.server;

import dev.hypervisor.core.error.DomainException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place that turns failures into gRPC statuses; nothing reaches a client as UNKNOWN. */
public final class StatusMapper {

    private static final Logger LOG = LoggerFactory.getLogger(StatusMapper.class);

    private StatusMapper() {}

    public static StatusRuntimeException toStatus(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof StatusRuntimeException status) {
            return status;
        }
        if (cause instanceof DomainException domain) {
            Status status = switch (domain.code()) {
                case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
                case NOT_FOUND -> Status.NOT_FOUND;
                case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
                case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
                case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
                case ABORTED -> Status.ABORTED;
                case OUT_OF_RANGE -> Status.OUT_OF_RANGE;
                case UNAVAILABLE -> Status.UNAVAILABLE;
                case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
                case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
                case INTERNAL -> Status.INTERNAL;
            };
            if (domain.code() == dev.hypervisor.core.error.ErrorCode.INTERNAL) {
                LOG.error("internal error", domain);
            } else if (domain.code() == dev.hypervisor.core.error.ErrorCode.UNAVAILABLE) {
                LOG.warn("unavailable: {}", domain.getMessage(), domain.getCause());
            }
            return status.withDescription(domain.getMessage()).asRuntimeException();
        }
        LOG.error("unexpected failure", cause);
        return Status.INTERNAL.withDescription("internal error: " + cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : ": " + cause.getMessage())).asRuntimeException();
    }
}
