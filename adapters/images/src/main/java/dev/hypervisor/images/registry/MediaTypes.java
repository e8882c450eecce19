package dev.hypervisor.images.registry;

import java.util.Set;

/**
 * Media types of manifests, configs and layers, OCI
 * (https://github.com/opencontainers/image-spec/blob/main/media-types.md) and Docker schema 2
 * (https://distribution.github.io/distribution/spec/manifest-v2-2/).
 */
public final class MediaTypes {

    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";

    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";
    public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    // Not in the schema 2 spec, but what Docker and containerd write for zstd layers.
    public static final String DOCKER_LAYER_ZSTD = "application/vnd.docker.image.rootfs.diff.tar.zstd";

    /** Types that are an index of per-platform manifests. */
    public static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);
    /** Types that are a single-platform image manifest. */
    public static final Set<String> MANIFESTS = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);

    /** The Accept header for manifest requests: the four types this client can read, nothing older (no schema 1). */
    public static final String MANIFEST_ACCEPT = String.join(", ", OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST);

    private MediaTypes() {}

    /** How a layer of this media type is compressed. */
    public enum Compression { NONE, GZIP, ZSTD }

    /** The compression of a layer media type, or null when it is not a layer type this package knows. */
    public static Compression layerCompression(String mediaType) {
        return switch (mediaType) {
            case OCI_LAYER_TAR, DOCKER_LAYER_TAR -> Compression.NONE;
            case OCI_LAYER_GZIP, DOCKER_LAYER_GZIP -> Compression.GZIP;
            case OCI_LAYER_ZSTD, DOCKER_LAYER_ZSTD -> Compression.ZSTD;
            default -> null;
        };
    }
}
