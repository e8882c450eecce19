package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.ListInstancesResponse;
import dev.hypervisor.testkit.tls.TestCertificates;
import io.grpc.Grpc;
import io.grpc.Server;
import io.grpc.TlsServerCredentials;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** hvctl speaking TLS with a client certificate to a server on loopback that requires one. */
class TlsTest {

  @TempDir
  Path tmp;

  private Server server;

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void listsOverTlsWithAClientCertificateAndFailsWithoutOne() throws Exception {
    TestCertificates ca = TestCertificates.authority(tmp.resolve("pki"));
    TestCertificates.Pair serverPair = ca.server("hypervisord");
    TestCertificates.Pair client = ca.client("alice", "viewer");
    FakeComputeService service = new FakeComputeService();
    service.list = request -> ListInstancesResponse.getDefaultInstance();
    server = Grpc.newServerBuilderForPort(0, TlsServerCredentials.newBuilder()
            .keyManager(serverPair.cert().toFile(), serverPair.key().toFile())
            .trustManager(ca.ca().toFile())
            .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build())
        .addService(service).build().start();
    String addr = "localhost:" + server.getPort();

    CliHarness.Result ok = CliHarness.runWithNetwork("--addr", addr, "--tls-ca", ca.ca().toString(),
        "--tls-cert", client.cert().toString(), "--tls-key", client.key().toString(), "ls");
    assertThat(ok.exitCode()).as(ok.err()).isZero();
    assertThat(service.requests(ListInstancesRequest.class)).hasSize(1);

    CliHarness.Result noCert = CliHarness.runWithNetwork("--addr", addr, "--tls-ca", ca.ca().toString(), "ls");
    assertThat(noCert.exitCode()).isNotZero();
    CliHarness.Result plaintext = CliHarness.runWithNetwork("--addr", addr, "ls");
    assertThat(plaintext.exitCode()).isNotZero();
    assertThat(service.requests(ListInstancesRequest.class)).as("neither reached the service").hasSize(1);
  }
}
