package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DeleteInstanceRequest;
import org.junit.jupiter.api.Test;

class FingerprintTest {

    @Test
    void aRequestWithoutRequestIdHasNoFingerprint() {
        assertThat(Fingerprint.ofRequest(CreateInstanceRequest.newBuilder().setName("web").build())).isEmpty();
    }

    @Test
    void aRequestWithRequestIdGetsTheFingerprintOfItsBodyWithoutTheId() {
        CreateInstanceRequest body = CreateInstanceRequest.newBuilder().setName("web").build();
        CreateInstanceRequest withId = body.toBuilder().setRequestId("r-1").build();

        String fingerprint = Fingerprint.ofRequest(withId);

        assertThat(fingerprint).isEqualTo(Fingerprint.of(body)).hasSize(64);
        assertThat(Fingerprint.ofRequest(withId.toBuilder().setRequestId("r-2").build()))
                .as("the id itself is not part of it").isEqualTo(fingerprint);
        assertThat(Fingerprint.ofRequest(withId.toBuilder().setName("db").build())).isNotEqualTo(fingerprint);
        assertThat(Fingerprint.ofRequest(DeleteInstanceRequest.newBuilder().setInstanceId("inst-1")
                .setRequestId("r-1").build())).as("the message type counts").isNotEqualTo(fingerprint).hasSize(64);
    }
}
