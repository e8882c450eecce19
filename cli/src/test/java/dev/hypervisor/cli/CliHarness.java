package dev.hypervisor.cli;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Runs real hvctl command lines against a {@link FakeComputeService} on an in-process server. */
final class CliHarness implements BeforeEachCallback, AfterEachCallback {

  /** The fixed "now" every test's ages are computed against. */
  static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");

  final FakeComputeService service = new FakeComputeService();
  private Server server;
  private String serverName;

  /** The output of one hvctl run. */
  record Result(int exitCode, String out, String err) {}

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    serverName = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(serverName).addService(service).build().start();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  Result run(String... args) {
    return run(new ByteArrayInputStream(new byte[0]), args);
  }

  Result run(InputStream stdin, String... args) {
    return run(stdin, address -> InProcessChannelBuilder.forName(serverName).build(), args);
  }

  CompletableFuture<Result> runAsync(String... args) {
    return CompletableFuture.supplyAsync(() -> run(args));
  }

  /** Runs with a real plaintext channel, for what only a real network shows. */
  static Result runWithNetwork(String... args) {
    return run(new ByteArrayInputStream(new byte[0]), Hvctl::plaintext, args);
  }

  private static Result run(InputStream stdin, Function<String, ManagedChannel> channels, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io = new Io(stdin, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false);
    int exit = new Hvctl(channels, io, Clock.fixed(NOW, ZoneOffset.UTC)).execute(args);
    return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
