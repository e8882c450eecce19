package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import org.junit.jupiter.api.Test;

class FingerprintTest {

    @Test
    void aRequestWithoutRequestIdIsNeitherSerializedNorHashed() {
        String fingerprint = Fingerprint.ifRetryable("", () -> {
            throw new AssertionError("serialized a request that has no request_id");
        });

        assertThat(fingerprint).isEmpty();
    }

    @Test
    void aRequestWithRequestIdGetsTheFingerprintOfItsBodyWithoutTheId() {
        CreateInstanceRequest body = CreateInstanceRequest.newBuilder().setName("web").build();
        CreateInstanceRequest withId = body.toBuilder().setRequestId("r-1").build();

        String fingerprint = Fingerprint.ifRetryable(withId.getRequestId(),
                () -> withId.toBuilder().clearRequestId().build());

        assertThat(fingerprint).isEqualTo(Fingerprint.of(body)).hasSize(64);
        assertThat(Fingerprint.ifRetryable("r-1", () -> body.toBuilder().setName("db").build()))
                .isNotEqualTo(fingerprint);
    }
}
