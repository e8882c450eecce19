package dev.hypervisor.testkit.images;

import dev.hypervisor.host.Executables;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Pushes OCI layouts to registries with the host's {@code skopeo}, so tests never need docker. */
public final class Skopeo {

    /** The manifest format on the registry: as built (OCI), or converted to Docker schema 2. */
    public enum Format { OCI, V2S2 }

    private Skopeo() {}

    /**
     * {@code skopeo copy oci:<layoutDir>:<tag> docker://<destination>} over plain HTTP or unverified
     * TLS; {@code all} copies every platform of an index. It may take 2 minutes plus a second per
     * 10 MiB of {@code bytes}, the size of what it copies.
     *
     * @throws IllegalStateException with skopeo's output when it fails, or when skopeo is not installed
     */
    public static void copy(Path layoutDir, String tag, String destination, boolean all, Format format, long bytes) {
        Path skopeo = Executables.find("skopeo").orElseThrow(() -> new IllegalStateException(
                "skopeo is not installed: apt-get install skopeo; ./test.sh installs it"));
        List<String> command = new ArrayList<>(List.of(skopeo.toString(),
                // No signature policy to consult: the tests' images are unsigned by design.
                "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false"));
        if (all) {
            command.add("--all");
        }
        if (format == Format.V2S2) {
            command.addAll(List.of("--format", "v2s2"));
        } else {
            // Fails instead of silently recompressing layers or rewriting the manifest.
            command.add("--preserve-digests");
        }
        command.add("oci:" + layoutDir.toAbsolutePath() + ":" + tag);
        command.add("docker://" + destination);
        try {
            HostCommand.of(command).timeout(Duration.ofSeconds(120 + bytes / (10L << 20))).run();
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
