package dev.hypervisor.testkit.images;

/**
 * A blob written into an OCI layout, as a descriptor names it
 * (https://github.com/opencontainers/image-spec/blob/main/descriptor.md): what a registry
 * client should resolve after a push.
 */
public record Blob(String mediaType, String digest, long size) {

    public static final String INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String CONFIG = "application/vnd.oci.image.config.v1+json";
}
