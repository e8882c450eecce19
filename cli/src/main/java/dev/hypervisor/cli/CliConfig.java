package dev.hypervisor.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * hvctl's configuration, one JSON file ({@code config.json}, mode 0600) in its directory,
 * beside this client's key and certificate: the remotes, each an address and the SHA-256
 * fingerprint of the server certificate accepted when it was added, and which one is current.
 * No current remote means {@code local}: the daemon's unix socket when it is there, else
 * localhost:50051.
 */
final class CliConfig {

  /** The built-in remote: this host's daemon. */
  static final String LOCAL = "local";

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .setSerializationInclusion(JsonInclude.Include.NON_NULL);

  /** A daemon hvctl was told about. */
  record Remote(String address, String fingerprint) {}

  /** The file as stored. */
  record File(String current, Map<String, Remote> remotes) {}

  private final Path dir;
  private String current;
  private final TreeMap<String, Remote> remotes;

  private CliConfig(Path dir, String current, Map<String, Remote> remotes) {
    this.dir = dir;
    this.current = current;
    this.remotes = new TreeMap<>(remotes == null ? Map.of() : remotes);
  }

  /**
   * The directory: {@code given} (--config-dir, env HVCTL_CONFIG_DIR), else
   * $XDG_CONFIG_HOME/hvctl, else ~/.config/hvctl.
   */
  static Path directory(String given) {
    if (given != null && !given.isBlank()) {
      return Path.of(given);
    }
    String xdg = System.getenv("XDG_CONFIG_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
    return base.resolve("hvctl");
  }

  /** The configuration in {@code dir}; empty when there is none yet. */
  static CliConfig load(Path dir) {
    Path file = dir.resolve("config.json");
    if (!Files.exists(file)) {
      return new CliConfig(dir, null, Map.of());
    }
    try {
      File stored = JSON.readValue(file.toFile(), File.class);
      return new CliConfig(dir, stored.current(), stored.remotes());
    } catch (IOException e) {
      throw new CommandFailure(ExitCode.FAILURE, "cannot read " + file + ": " + e.getMessage());
    }
  }

  Path dir() {
    return dir;
  }

  /** The current remote's name, {@link #LOCAL} when none was switched to. */
  String current() {
    return current == null ? LOCAL : current;
  }

  Optional<Remote> remote(String name) {
    return Optional.ofNullable(remotes.get(name));
  }

  Map<String, Remote> remotes() {
    return java.util.Collections.unmodifiableMap(remotes);
  }

  void put(String name, Remote remote) {
    remotes.put(name, remote);
  }

  /** Removes {@code name}; when it was current, {@code local} is current again. */
  boolean remove(String name) {
    if (name.equals(current)) {
      current = null;
    }
    return remotes.remove(name) != null;
  }

  void switchTo(String name) {
    current = LOCAL.equals(name) ? null : name;
  }

  /** Writes the file whole (a temporary file moved over it), readable by its owner only. */
  void save() {
    Path file = dir.resolve("config.json");
    try {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Path tmp = Files.createTempFile(dir, "config", ".json.tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        JSON.writeValue(tmp.toFile(), new File(current, remotes));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
