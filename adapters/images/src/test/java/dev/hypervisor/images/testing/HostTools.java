package dev.hypervisor.images.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Finds and runs the host binaries the image fixtures drive (docker-registry, skopeo, busybox), failing with install hints. */
public final class HostTools {

    private HostTools() {}

    /** The binary on PATH (or at an absolute path), if installed. */
    public static Optional<Path> find(String binary) {
        if (binary.startsWith("/")) {
            Path p = Path.of(binary);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(File.pathSeparator)) {
            Path p = Path.of(dir, binary);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The binary, or IllegalStateException saying which Debian package to install. */
    public static Path require(String binary, String debianPackage) {
        return find(binary).orElseThrow(() -> new IllegalStateException(binary + " is not installed: apt-get install "
                + debianPackage + "; ./test.sh installs it"));
    }

    /** Runs a command to completion; its combined output, or IllegalStateException with that output when it fails. */
    public static String run(Duration timeout, List<String> command) {
        Path log = null;
        try {
            // Output goes to a file so a chatty or hung command can neither block on a full pipe nor outlive the timeout.
            log = Files.createTempFile("hosttool", ".log");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out after " + timeout + ": " + String.join(" ", command)
                        + "\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            String text = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("exit " + p.exitValue() + ": " + String.join(" ", command) + "\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }
}
