package dev.hypervisor.images.testing;

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
     * TLS; {@code all} copies every platform of an index.
     *
     * @throws IllegalStateException with skopeo's output when it fails, or when skopeo is not installed
     */
    public static void copy(Path layoutDir, String tag, String destination, boolean all, Format format) {
        Path skopeo = HostTools.require("skopeo", "skopeo");
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
        HostTools.run(Duration.ofSeconds(120), command);
    }
}
