package dev.hypervisor.cli;

import com.google.protobuf.util.Durations;
import dev.hypervisor.api.v1.AddTrustRequest;
import dev.hypervisor.api.v1.CreateJoinTokenRequest;
import dev.hypervisor.api.v1.CreateJoinTokenResponse;
import dev.hypervisor.api.v1.ListTrustRequest;
import dev.hypervisor.api.v1.ListTrustResponse;
import dev.hypervisor.api.v1.RemoveTrustRequest;
import dev.hypervisor.api.v1.Role;
import dev.hypervisor.api.v1.TrustedClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hvctl trust}: the daemon's trust store of client certificates, for admins. */
@Command(name = "trust", description = "List, add and remove trusted client certificates; issue join tokens (admin).",
    subcommands = {TrustCommand.ListTrust.class, TrustCommand.Add.class, TrustCommand.Remove.class,
        TrustCommand.Token.class})
final class TrustCommand extends Subcommand {

  @Override
  public Integer call() {
    spec.commandLine().usage(hvctl().io().err());
    return ExitCode.USAGE;
  }

  static String role(Role role) {
    return EnumNames.shortName(role).toLowerCase(Locale.ROOT);
  }

  /** {@code hvctl trust ls}. */
  @Command(name = "ls", aliases = "list", description = "List the trusted client certificates.")
  static final class ListTrust extends Subcommand {

    @Override
    public Integer call() {
      ListTrustResponse response = hvctl().trust().listTrust(ListTrustRequest.getDefaultInstance());
      hvctl().output().print(response, out -> {
        Table table = new Table("NAME", "ROLE", "FINGERPRINT", "ADDED BY", "ADDED", "EXPIRES");
        for (TrustedClient c : response.getClientsList()) {
          table.row(c.getName(), role(c.getRole()), c.getFingerprint().substring(0, 16), c.getAddedBy(),
              Age.of(c.getAddedAt(), hvctl().clock()),
              c.hasNotAfter() ? java.time.Instant.ofEpochSecond(c.getNotAfter().getSeconds()).toString() : "");
        }
        table.print(out);
      });
      return ExitCode.OK;
    }
  }

  /** {@code hvctl trust add CERT.pem --role R [--name N]}. */
  @Command(name = "add", description = "Trust a client certificate (PEM file) with a role.")
  static final class Add extends Subcommand {

    @Parameters(index = "0", paramLabel = "CERT.pem")
    Path certificate;

    @Option(names = "--role", required = true, paramLabel = "viewer|operator|admin")
    Role role;

    @Option(names = "--name", paramLabel = "NAME", description = "Default: the certificate's common name.")
    String name;

    @Override
    public Integer call() {
      String pem;
      try {
        pem = Files.readString(certificate);
      } catch (IOException e) {
        throw new IllegalArgumentException("CERT.pem: cannot read " + certificate + ": " + e.getMessage());
      }
      TrustedClient added = hvctl().trust().addTrust(AddTrustRequest.newBuilder().setCertificate(pem).setRole(role)
          .setName(name == null ? "" : name).build());
      hvctl().output().print(added, out -> out.println("Trusted " + added.getName() + " as " + role(added.getRole())
          + " (SHA-256 " + added.getFingerprint() + ")"));
      return ExitCode.OK;
    }
  }

  /** {@code hvctl trust rm FINGERPRINT}. */
  @Command(name = "rm", aliases = "remove", description = "Stop trusting a client certificate, by its fingerprint.")
  static final class Remove extends Subcommand {

    @Parameters(index = "0", paramLabel = "FINGERPRINT", description = "SHA-256, hex (as `hvctl trust ls` shows it, or whole).")
    String fingerprint;

    @Override
    public Integer call() {
      String wanted = fingerprint.replace(":", "").toLowerCase(Locale.ROOT);
      String whole = wanted;
      if (wanted.length() < 64) {
        var matches = hvctl().trust().listTrust(ListTrustRequest.getDefaultInstance()).getClientsList().stream()
            .filter(c -> c.getFingerprint().startsWith(wanted)).toList();
        if (matches.size() != 1) {
          throw new CommandFailure(ExitCode.of(matches.isEmpty() ? io.grpc.Status.Code.NOT_FOUND
              : io.grpc.Status.Code.INVALID_ARGUMENT), matches.isEmpty() ? "no trusted certificate " + fingerprint
              : "FINGERPRINT: " + fingerprint + " names " + matches.size() + " certificates: give more of it");
        }
        whole = matches.get(0).getFingerprint();
      }
      hvctl().trust().removeTrust(RemoveTrustRequest.newBuilder().setFingerprint(whole).build());
      hvctl().io().out().println("No longer trusted: " + whole);
      return ExitCode.OK;
    }
  }

  /** {@code hvctl trust token --role R [--name N] [--ttl 1h]}. */
  @Command(name = "token", description = "Issue a one-time join token for `hvctl remote add NAME --token TOKEN`.")
  static final class Token extends Subcommand {

    @Option(names = "--role", required = true, paramLabel = "viewer|operator|admin")
    Role role;

    @Option(names = "--name", paramLabel = "NAME", description = "Trust the joining client under this name.")
    String name;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "1h",
        description = "How long the token is valid: 90s, 30m, 1h, 2d (default ${DEFAULT-VALUE}, at most 7d).")
    String ttl;

    @Override
    public Integer call() {
      CreateJoinTokenResponse made = hvctl().trust().createJoinToken(CreateJoinTokenRequest.newBuilder().setRole(role)
          .setName(name == null ? "" : name).setTtl(Durations.fromMillis(parse(ttl).toMillis())).build());
      hvctl().output().print(made, out -> out.println(made.getToken()));
      return ExitCode.OK;
    }

    static Duration parse(String text) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([smhd])").matcher(text.strip());
      if (!m.matches()) {
        throw new IllegalArgumentException("--ttl: a number and s, m, h or d (30m, 1h, 2d), got '" + text + "'");
      }
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
  }
}
