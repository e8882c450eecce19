package dev.hypervisor.server;

import dev.hypervisor.api.v1.LayerProgress;
import dev.hypervisor.api.v1.PullImageProgress;
import dev.hypervisor.api.v1.PullImageRequest;
import dev.hypervisor.core.image.ImageInfo;
import dev.hypervisor.core.image.ImageStore;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.ExecutorService;

/**
 * A PullImage stream: the pull runs in the background and keeps going if the caller goes
 * away (a retry then finds it done or joins it); progress is sent while the caller listens.
 */
final class PullStream {

    private final ImageStore images;
    private final PullImageRequest request;
    private final ServerCallStreamObserver<PullImageProgress> call;

    PullStream(ImageStore images, PullImageRequest request, ServerCallStreamObserver<PullImageProgress> call) {
        this.images = images;
        this.request = request;
        this.call = call;
        call.setOnCancelHandler(() -> { });
    }

    void start(ExecutorService background) {
        if (request.getImage().isBlank()) {
            throw dev.hypervisor.core.error.DomainException.invalidArgument("image", "required");
        }
        background.execute(() -> {
            try {
                ImageInfo image = images.pull(request.getImage(), request.getExpectedDigest(),
                        (phase, done, total, blobs, message) -> {
                            PullImageProgress.Builder progress = PullImageProgress.newBuilder()
                                    .setPhase(PullImageProgress.Phase.valueOf(phase.name()))
                                    .setBytesDone(done).setBytesTotal(total).setMessage(message);
                            blobs.forEach(b -> progress.addLayers(LayerProgress.newBuilder().setDigest(b.digest())
                                    .setBytesDone(b.bytesDone()).setBytesTotal(b.bytesTotal())));
                            send(progress.build());
                        });
                send(PullImageProgress.newBuilder().setPhase(PullImageProgress.Phase.DONE)
                        .setImage(ApiMapper.toProto(image)).setBytesDone(image.sizeBytes())
                        .setBytesTotal(image.sizeBytes()).build());
                synchronized (this) {
                    if (!call.isCancelled()) {
                        call.onCompleted();
                    }
                }
            } catch (RuntimeException e) {
                synchronized (this) {
                    if (!call.isCancelled()) {
                        call.onError(StatusMapper.toStatus(e));
                    }
                }
            }
        });
    }

    private synchronized void send(PullImageProgress progress) {
        if (!call.isCancelled()) {
            call.onNext(progress);
        }
    }
}
