package dev.hypervisor.cli;

import dev.hypervisor.api.v1.JoinToken;
import dev.hypervisor.api.v1.JoinWithTokenRequest;
import dev.hypervisor.api.v1.TrustedClient;
import dev.hypervisor.tls.Certificates;
import io.grpc.ManagedChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hvctl remote}: the daemons hvctl knows, as Incus's remotes. Adding one pins the
 * SHA-256 fingerprint of its certificate (shown and accepted, given, or carried by a join
 * token) and, with a token, has the daemon trust this client's own certificate.
 */
@Command(name = "remote", description = "Add, list, switch between and remove remote daemons.",
    subcommands = {RemoteCommand.Add.class, RemoteCommand.ListRemotes.class, RemoteCommand.Switch.class,
        RemoteCommand.Remove.class})
final class RemoteCommand extends Subcommand {

  @Override
  public Integer call() {
    spec.commandLine().usage(hvctl().io().err());
    return ExitCode.USAGE;
  }

  /** {@code hvctl remote add NAME [HOST:PORT] [--token T] [--accept-fingerprint SHA256]}. */
  @Command(name = "add", description = {
      "Add a remote: show the fingerprint of its certificate and ask to accept it (or --accept-fingerprint),",
      "make this client's key and certificate on first use, and with --token have the daemon trust them."})
  static final class Add extends Subcommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "The remote's name in hvctl.")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "HOST:PORT",
        description = "The daemon's TLS address; may be left out with a --token that names it.")
    String address;

    @Option(names = "--token", paramLabel = "TOKEN",
        description = "A join token from `hypervisord trust token` (or `hvctl trust token`) on that daemon.")
    String token;

    @Option(names = "--accept-fingerprint", paramLabel = "SHA256",
        description = "Accept the server certificate only if its SHA-256 fingerprint is this (hex, colons allowed).")
    String acceptFingerprint;

    @Override
    public Integer call() {
      Hvctl hv = hvctl();
      CliConfig config = hv.config();
      if (name.equals(CliConfig.LOCAL) || name.isBlank() || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
        throw new IllegalArgumentException("NAME: " + (name.equals(CliConfig.LOCAL)
            ? "local is the built-in remote (this host's daemon)" : "letters, digits, '.', '_' and '-', got '" + name + "'"));
      }
      if (config.remote(name).isPresent()) {
        throw new CommandFailure(ExitCode.of(io.grpc.Status.Code.ALREADY_EXISTS),
            "remote " + name + " exists: `hvctl remote rm " + name + "` first");
      }
      JoinToken join = token == null ? null : decode(token);
      List<String> candidates = new ArrayList<>();
      if (address != null) {
        candidates.add(address);
      } else if (join != null) {
        candidates.addAll(join.getAddressesList());
      }
      if (candidates.isEmpty()) {
        throw new IllegalArgumentException("HOST:PORT: needed (or a --token that names the daemon's address)");
      }
      String reached = null;
      X509Certificate shown = null;
      List<String> failures = new ArrayList<>();
      for (String candidate : candidates) {
        try {
          HostPort hp = HostPort.parse(candidate);
          shown = PinnedCertificate.fetch(hp.host(), hp.port(), hv.timeout());
          reached = candidate;
          break;
        } catch (IOException | RuntimeException e) {
          failures.add(candidate + ": " + e.getMessage());
        }
      }
      if (shown == null) {
        throw new CommandFailure(ExitCode.of(io.grpc.Status.Code.UNAVAILABLE),
            "cannot reach hypervisord over TLS at " + String.join("; ", failures));
      }
      String fingerprint = Certificates.fingerprint(shown);
      String expected = acceptFingerprint != null ? normalize(acceptFingerprint)
          : join != null ? join.getServerFingerprint() : null;
      PrintStream out = hv.io().out();
      if (expected != null && !expected.equals(fingerprint)) {
        throw new CommandFailure(ExitCode.of(io.grpc.Status.Code.PERMISSION_DENIED), "the certificate of " + reached
            + " has the SHA-256 fingerprint " + fingerprint + ", not " + expected + (join != null && acceptFingerprint == null
            ? " as the token says" : "") + ": not adding it (the daemon's certificate changed, or something is in between)");
      }
      if (expected == null) {
        out.println("Certificate of " + reached + " (" + Certificates.subject(shown, "CN") + "):");
        out.println("  SHA-256 fingerprint " + fingerprint);
        out.print("Accept it (y/N)? ");
        out.flush();
        if (!accepted(hv)) {
          throw new CommandFailure(ExitCode.FAILURE, "remote " + name + " not added: its certificate was not accepted");
        }
      }
      CliConfig.Remote remote = new CliConfig.Remote(reached, fingerprint);
      if (join != null) {
        ManagedChannel channel = hv.pinned(new Hvctl.Endpoint(name, reached, fingerprint));
        TrustedClient trusted = hv.trust(channel).joinWithToken(JoinWithTokenRequest.newBuilder().setToken(token).build());
        out.println("Joined " + reached + " as " + trusted.getName() + " with role "
            + TrustCommand.role(trusted.getRole()));
      }
      config.put(name, remote);
      config.save();
      out.println("Remote " + name + " added (" + reached + "); use it with --remote " + name
          + " or `hvctl remote switch " + name + "`");
      if (join == null) {
        out.println("The daemon trusts this client once an admin adds " + config.dir().resolve("client.crt")
            + " or gives you a token (hvctl remote rm " + name + ", then add it with --token)");
      }
      return ExitCode.OK;
    }

    private static boolean accepted(Hvctl hv) {
      try {
        String line = new BufferedReader(new InputStreamReader(hv.io().in(), StandardCharsets.UTF_8)).readLine();
        return line != null && List.of("y", "yes").contains(line.strip().toLowerCase(Locale.ROOT));
      } catch (IOException e) {
        return false;
      }
    }

    private static String normalize(String fingerprint) {
      String hex = fingerprint.replace(":", "").strip().toLowerCase(Locale.ROOT);
      if (!hex.matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException("--accept-fingerprint: 64 hex digits (SHA-256), got '" + fingerprint + "'");
      }
      return hex;
    }

    private static JoinToken decode(String token) {
      try {
        JoinToken decoded = JoinToken.parseFrom(Base64.getUrlDecoder().decode(token.strip()));
        if (decoded.getServerFingerprint().isEmpty()) {
          throw new IllegalArgumentException("no server fingerprint");
        }
        return decoded;
      } catch (IllegalArgumentException | com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalArgumentException("--token: not a join token (" + e.getMessage() + ")");
      }
    }
  }

  /** {@code hvctl remote ls}. */
  @Command(name = "ls", aliases = "list", description = "List the remotes; * marks the current one.")
  static final class ListRemotes extends Subcommand {

    @Override
    public Integer call() {
      CliConfig config = hvctl().config();
      Table table = new Table("NAME", "ADDRESS", "FINGERPRINT", "CURRENT");
      String current = config.current();
      table.row(CliConfig.LOCAL, Hvctl.defaultTarget(null, java.nio.file.Path.of(Hvctl.LOCAL_SOCKET)), "",
          current.equals(CliConfig.LOCAL) ? "*" : "");
      for (Map.Entry<String, CliConfig.Remote> r : config.remotes().entrySet()) {
        table.row(r.getKey(), r.getValue().address(), r.getValue().fingerprint().substring(0, 16),
            current.equals(r.getKey()) ? "*" : "");
      }
      table.print(hvctl().io().out());
      return ExitCode.OK;
    }
  }

  /** {@code hvctl remote switch NAME}. */
  @Command(name = "switch", description = "Make NAME the remote that commands talk to (local: this host's daemon).")
  static final class Switch extends Subcommand {

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      CliConfig config = hvctl().config();
      if (!name.equals(CliConfig.LOCAL) && config.remote(name).isEmpty()) {
        throw new CommandFailure(ExitCode.of(io.grpc.Status.Code.NOT_FOUND), "no remote " + name);
      }
      config.switchTo(name);
      config.save();
      hvctl().io().out().println("Current remote: " + name);
      return ExitCode.OK;
    }
  }

  /** {@code hvctl remote rm NAME}. */
  @Command(name = "rm", aliases = "remove", description = "Forget a remote (the daemon still trusts this client).")
  static final class Remove extends Subcommand {

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      CliConfig config = hvctl().config();
      if (!config.remove(name)) {
        throw new CommandFailure(ExitCode.of(io.grpc.Status.Code.NOT_FOUND), "no remote " + name);
      }
      config.save();
      hvctl().io().out().println("Removed remote " + name);
      return ExitCode.OK;
    }
  }

  /** A HOST:PORT, with [v6] brackets. */
  record HostPort(String host, int port) {
    static HostPort parse(String address) {
      int colon = address.lastIndexOf(':');
      if (colon <= 0 || colon == address.length() - 1) {
        throw new IllegalArgumentException("HOST:PORT expected, got '" + address + "'");
      }
      String host = address.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      try {
        int port = Integer.parseInt(address.substring(colon + 1));
        if (port < 1 || port > 65535) {
          throw new NumberFormatException();
        }
        return new HostPort(host, port);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("port of '" + address + "': 1 to 65535");
      }
    }
  }
}
