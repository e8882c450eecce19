package dev.hypervisor.images.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hypervisor.images.registry.RegistryException.Kind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses image manifests and indexes, OCI
 * (https://github.com/opencontainers/image-spec/blob/main/manifest.md, image-index.md) and Docker
 * schema 2 (https://distribution.github.io/distribution/spec/manifest-v2-2/), which share one shape.
 */
final class Manifests {

    /** A parsed manifest document: an index has {@code manifests}, an image manifest {@code config} and {@code layers}. */
    record Parsed(String mediaType, Descriptor config, List<Descriptor> layers, List<Descriptor> manifests) {
        boolean isIndex() {
            return MediaTypes.INDEXES.contains(mediaType);
        }
    }

    private Manifests() {}

    /**
     * Parses {@code bytes}; the media type is the document's own {@code mediaType} field, else the
     * response's Content-Type, else guessed from the shape (the OCI spec lets the field be absent).
     */
    static Parsed parse(byte[] bytes, String contentType, String where) {
        JsonNode root;
        try {
            root = RegistryJson.MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw protocol(where, "is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw protocol(where, "is not a JSON object");
        }
        int schemaVersion = root.path("schemaVersion").asInt(-1);
        if (schemaVersion != 2) {
            throw protocol(where, "has schemaVersion " + schemaVersion
                    + "; only schema 2 (OCI, Docker v2) is supported, not Docker schema 1");
        }
        String mediaType = root.path("mediaType").asText("");
        if (mediaType.isEmpty()) {
            mediaType = contentType == null ? "" : contentType;
        }
        if (!MediaTypes.INDEXES.contains(mediaType) && !MediaTypes.MANIFESTS.contains(mediaType)) {
            if (root.path("manifests").isArray()) {
                mediaType = MediaTypes.OCI_INDEX;
            } else if (root.path("config").isObject()) {
                mediaType = MediaTypes.OCI_MANIFEST;
            } else {
                throw protocol(where, "has unsupported media type '" + mediaType + "'");
            }
        }
        if (MediaTypes.INDEXES.contains(mediaType)) {
            return new Parsed(mediaType, null, List.of(), descriptors(root.path("manifests"), where, "manifests"));
        }
        if (!root.path("config").isObject()) {
            throw protocol(where, "has no config descriptor");
        }
        Descriptor config = descriptor(root.path("config"), where, "config");
        return new Parsed(mediaType, config, descriptors(root.path("layers"), where, "layers"), List.of());
    }

    private static List<Descriptor> descriptors(JsonNode array, String where, String field) {
        if (!array.isArray()) {
            throw protocol(where, "has no '" + field + "' array");
        }
        List<Descriptor> result = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            result.add(descriptor(array.get(i), where, field + "[" + i + "]"));
        }
        return result;
    }

    private static Descriptor descriptor(JsonNode node, String where, String field) {
        String mediaType = node.path("mediaType").asText("");
        String digest = node.path("digest").asText("");
        if (!node.path("size").canConvertToLong() || !node.path("size").isIntegralNumber()) {
            throw protocol(where, field + " has no integer size");
        }
        long size = node.path("size").asLong();
        if (!Digests.isValid(digest)) {
            throw protocol(where, field + " has an invalid or unsupported digest '" + digest + "'");
        }
        if (size < 0) {
            throw protocol(where, field + " has a negative size");
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        node.path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asText()));
        Platform platform = null;
        JsonNode p = node.path("platform");
        if (p.isObject()) {
            String variant = p.path("variant").asText("");
            platform = new Platform(p.path("os").asText(""), p.path("architecture").asText(""), variant.isEmpty() ? null : variant);
        }
        return new Descriptor(mediaType, digest, size, annotations, platform);
    }

    private static RegistryException protocol(String where, String problem) {
        return new RegistryException(Kind.PROTOCOL, where + " " + problem);
    }
}
