package dev.hypervisor.cli;

import dev.hypervisor.tls.SelfSigned;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;

/**
 * This client's own key and self-signed certificate ({@code client.key}, {@code client.crt}
 * in the config directory), made on first use as Incus's client does: the daemon trusts it by
 * fingerprint once a join token or an admin says so. Its common name is user@host, which is
 * the name the daemon shows for it unless the admin gives another.
 */
final class ClientCertificate {

  private static final Duration VALIDITY = Duration.ofDays(3650);

  private ClientCertificate() {}

  /** The pair in {@code dir}, made now when there is none; a key others may read is refused. */
  static SelfSigned.Pair ensure(Path dir) {
    Path cert = dir.resolve("client.crt");
    Path key = dir.resolve("client.key");
    try {
      if (Files.exists(cert) && Files.exists(key)) {
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(key);
        if (mode.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
          throw new CommandFailure(ExitCode.FAILURE, key + " is open to other users (mode "
              + PosixFilePermissions.toString(mode) + "): chmod 600 " + key);
        }
        return new SelfSigned.Pair(cert, key);
      }
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return SelfSigned.write(cert, key, SelfSigned.Subject.named(System.getProperty("user.name") + "@" + hostName()),
        SelfSigned.Purpose.CLIENT, VALIDITY);
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }
}
