package dev.hypervisor.server;

import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/** Answers a unary call with what {@code call} returns, or its failure as mapped by {@link StatusMapper}. */
final class Unary {

    private Unary() {}

    static <T> void answer(StreamObserver<T> response, Supplier<T> call) {
        T result;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            response.onError(StatusMapper.toStatus(e));
            return;
        }
        response.onNext(result);
        response.onCompleted();
    }
}
