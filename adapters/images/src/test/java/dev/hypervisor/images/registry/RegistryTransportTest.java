package dev.hypervisor.images.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import org.junit.jupiter.api.Test;

/** How wire failures read in pull errors, which users see as an instance's last error. */
class RegistryTransportTest {

    @Test
    void aRefusedConnectionOfTheRealHttpClientSaysSo() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        IOException failure = null;
        try {
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + closed + "/v2/")).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            failure = e;
        }
        assertThat(failure).isNotNull();
        assertThat(RegistryTransport.describe(failure)).containsIgnoringCase("connection refused");
    }

    @Test
    void anUnknownHostAndABareConnectExceptionAreNamed() {
        assertThat(RegistryTransport.describe(new ConnectException())).isEqualTo("connection refused");
        IOException unresolved = new ConnectException();
        unresolved.initCause(new UnresolvedAddressException());
        assertThat(RegistryTransport.describe(unresolved)).isEqualTo("host not found");
    }
}
