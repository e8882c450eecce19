package dev.hypervisor.images.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads basic credentials from a Docker {@code config.json} or containers {@code auth.json}:
 * {@code {"auths": {"<host>[/namespace]": {"auth": "base64(user:pass)"}}}}; an entry may instead
 * hold {@code username} and {@code password}. Credential helpers and identity tokens are not read.
 */
final class AuthFile {

    private AuthFile() {}

    /** Credentials keyed by normalized {@code host[/namespace]}. */
    static Map<String, Credentials> read(Path file, ObjectMapper json) throws IOException {
        dev.hypervisor.host.SecretFiles.requirePrivate(file, "registry auth file");
        JsonNode root;
        try {
            root = json.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("cannot read registry auth file " + file + ": " + e.getMessage(), e);
        }
        Map<String, Credentials> result = new LinkedHashMap<>();
        if (root == null || !root.path("auths").isObject()) {
            return result;
        }
        for (Map.Entry<String, JsonNode> entry : root.path("auths").properties()) {
            Credentials credentials = credentials(entry.getValue(), file, entry.getKey());
            if (credentials != null) {
                result.put(normalizeKey(entry.getKey()), credentials);
            }
        }
        return result;
    }

    private static Credentials credentials(JsonNode node, Path file, String key) {
        String auth = node.path("auth").asText("");
        if (!auth.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("registry auth file " + file + ": entry '" + key + "' has an auth value that is not base64");
            }
            int colon = decoded.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("registry auth file " + file + ": entry '" + key + "' does not decode to user:password");
            }
            return new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1));
        }
        String user = node.path("username").asText("");
        if (!user.isEmpty()) {
            return new Credentials(user, node.path("password").asText(""));
        }
        return null;
    }

    /**
     * Docker writes keys as URLs ({@code https://index.docker.io/v1/}), containers as
     * {@code host[/namespace]}; both become {@code registry[/namespace]} as in {@link ImageReference}.
     */
    static String normalizeKey(String key) {
        String k = key.strip();
        if (k.contains("://")) {
            URI uri = URI.create(k);
            k = uri.getRawAuthority() == null ? k : uri.getRawAuthority() + (uri.getRawPath() == null ? "" : uri.getRawPath());
            // A URL key names a whole registry (its path is an API version such as /v1/).
            int slash = k.indexOf('/');
            if (slash >= 0) {
                k = k.substring(0, slash);
            }
        }
        while (k.endsWith("/")) {
            k = k.substring(0, k.length() - 1);
        }
        int slash = k.indexOf('/');
        String host = slash < 0 ? k : k.substring(0, slash);
        return ImageReference.normalizeRegistry(host) + (slash < 0 ? "" : k.substring(slash));
    }
}
