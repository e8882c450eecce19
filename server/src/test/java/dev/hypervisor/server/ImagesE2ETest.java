package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DeleteInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.Image;
import dev.hypervisor.api.v1.ImageKind;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.ListImagesRequest;
import dev.hypervisor.api.v1.PullImageProgress;
import dev.hypervisor.api.v1.PullImageRequest;
import dev.hypervisor.api.v1.RemoveImageRequest;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.images.BuiltImage;
import dev.hypervisor.testkit.images.Compression;
import dev.hypervisor.testkit.images.LayerTree;
import dev.hypervisor.testkit.images.OciImageBuilder;
import dev.hypervisor.testkit.images.RegistryServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images through the daemon process: PullImage streams progress from a real registry on
 * loopback, ListImages and RemoveImage answer, and an instance created from an image that is
 * not there yet pulls it while CREATING and holds it while it exists.
 */
class ImagesE2ETest {

    @TempDir
    static Path tmp;
    static RegistryServer registry;
    static BuiltImage image;
    static DaemonProcess daemon;

    @BeforeAll
    static void start() throws Exception {
        registry = RegistryServer.start(Files.createDirectories(tmp.resolve("registry")));
        image = OciImageBuilder.busyboxImage()
                .layer(LayerTree.create().dir("srv").randomFile("srv/data.bin", 4 << 20, 3), Compression.GZIP)
                .cmd("/bin/sh").writeTo(tmp.resolve("layout"), "busybox");
        image.push(registry.host() + "/library/busybox:1");
        image.push(registry.host() + "/library/busybox:2");
        daemon = E2eDaemons.start(tmp.resolve("data"), true);
    }

    @AfterAll
    static void stop() {
        daemon.close();
        registry.close();
    }

    @Test
    void pullStreamsProgressAndEndsWithTheStoredImage() {
        Iterator<PullImageProgress> stream = daemon.blocking()
                .pullImage(PullImageRequest.newBuilder().setImage(registry.host() + "/library/busybox:1").build());
        List<PullImageProgress> messages = new ArrayList<>();
        stream.forEachRemaining(messages::add);
        PullImageProgress last = messages.get(messages.size() - 1);
        assertThat(last.getPhase()).isEqualTo(PullImageProgress.Phase.DONE);
        assertThat(last.getImage().getId()).isEqualTo(image.manifest().digest());
        assertThat(last.getImage().getKind()).isEqualTo(ImageKind.IMAGE_KIND_CONTAINER);
        assertThat(messages).extracting(PullImageProgress::getPhase).contains(PullImageProgress.Phase.DOWNLOADING);
        assertThat(messages.stream().filter(m -> m.getLayersCount() > 0).findFirst()).isPresent();
        List<Image> listed = daemon.blocking().listImages(ListImagesRequest.getDefaultInstance()).getImagesList();
        assertThat(listed).extracting(Image::getId).contains(image.manifest().digest());
    }

    @Test
    void anInstancePullsItsImageWhileCreatingAndHoldsItUntilDeleted() {
        String reference = registry.host() + "/library/busybox:2";
        String id = daemon.blocking().createInstance(CreateInstanceRequest.newBuilder().setName("uses-image")
                .setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                .setSpec(InstanceSpec.newBuilder().setImage(reference)).build()).getId();
        await().atMost(Duration.ofSeconds(60)).until(() -> daemon.blocking()
                .getInstance(GetInstanceRequest.newBuilder().setInstanceId(id).build()).getState()
                == InstanceState.INSTANCE_STATE_RUNNING);
        Image held = daemon.blocking().listImages(ListImagesRequest.newBuilder().setReferenceContains("busybox:2").build())
                .getImages(0);
        assertThat(held.getUsedByList()).containsExactly(id);
        assertThatThrownBy(() -> daemon.blocking().removeImage(RemoveImageRequest.newBuilder().setImage(reference).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription()).contains(id);
                });
        daemon.blocking().deleteInstance(DeleteInstanceRequest.newBuilder().setInstanceId(id).build());
        await().atMost(Duration.ofSeconds(30)).until(() -> daemon.blocking()
                .listImages(ListImagesRequest.newBuilder().setReferenceContains("busybox:2").build())
                .getImages(0).getUsedByCount() == 0);
        daemon.blocking().removeImage(RemoveImageRequest.newBuilder().setImage(reference).build());
        assertThat(daemon.blocking().listImages(ListImagesRequest.newBuilder().setReferenceContains("busybox:2").build())
                .getImagesList()).isEmpty();
    }

    @Test
    void anInstanceWhoseImageCannotBePulledEndsInErrorAndStartRetriesThePull() {
        String reference = registry.host() + "/library/late:1";
        String id = daemon.blocking().createInstance(CreateInstanceRequest.newBuilder().setName("late-image")
                .setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                .setSpec(InstanceSpec.newBuilder().setImage(reference)).build()).getId();
        await().atMost(Duration.ofSeconds(60)).until(() -> daemon.blocking()
                .getInstance(GetInstanceRequest.newBuilder().setInstanceId(id).build()).getState()
                == InstanceState.INSTANCE_STATE_ERROR);
        assertThat(daemon.blocking().getInstance(GetInstanceRequest.newBuilder().setInstanceId(id).build())
                .getErrorMessage()).contains("library/late");
        image.push(reference);
        daemon.blocking().startInstance(dev.hypervisor.api.v1.StartInstanceRequest.newBuilder().setInstanceId(id).build());
        await().atMost(Duration.ofSeconds(60)).until(() -> daemon.blocking()
                .getInstance(GetInstanceRequest.newBuilder().setInstanceId(id).build()).getState()
                == InstanceState.INSTANCE_STATE_RUNNING);
        assertThat(daemon.blocking().listImages(ListImagesRequest.newBuilder().setReferenceContains("late:1").build())
                .getImages(0).getUsedByList()).containsExactly(id);
    }

    @Test
    void removingAnUnknownImageIsNotFound() {
        assertThatThrownBy(() -> daemon.blocking().removeImage(RemoveImageRequest.newBuilder().setImage("nothing:here").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }
}
