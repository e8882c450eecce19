package dev.hypervisor.images.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How to reach registries: mirrors tried before a registry's own server, hosts allowed over plain
 * HTTP, and basic credentials; immutable, built with {@code with...} methods or {@link #load(Path)}.
 *
 * <p>The file {@link #load(Path)} reads is JSON; every key is optional:
 * <pre>{@code
 * {
 *   "mirrors":  { "docker.io": ["127.0.0.1:5001", "mirror.lan:5000"] },
 *   "servers":  { "docker.io": "registry-1.docker.io" },
 *   "insecure": ["registry.lan:5000"],
 *   "authFile": "auth.json"
 * }
 * }</pre>
 * <ul>
 *   <li>{@code mirrors}: per registry name (as in a reference, {@code docker.io} for Docker Hub), hosts
 *   ({@code host[:port]}) tried in order before the registry's server; the repository path is the
 *   same on a mirror ({@code library/nginx}). A mirror that lacks the image or cannot be reached
 *   is skipped.</li>
 *   <li>{@code servers}: the API host of a registry when it is not the registry name itself
 *   (default: the name, and {@code registry-1.docker.io} for {@code docker.io}).</li>
 *   <li>{@code insecure}: hosts spoken to over plain HTTP. Loopback hosts ({@code localhost},
 *   {@code 127.0.0.0/8}, {@code [::1]}) always are; every other host needs HTTPS.</li>
 *   <li>{@code authFile}: a Docker {@code config.json} or containers {@code auth.json}
 *   ({@code {"auths": {"host": {"auth": "base64(user:pass)"}}}}); a relative path is resolved
 *   against the directory of the config file.</li>
 * </ul>
 */
public final class RegistryConfig {

    static final String DOCKER_HUB_SERVER = "registry-1.docker.io";
    private static final Set<String> FILE_KEYS = Set.of("mirrors", "servers", "insecure", "authFile");
    private static final Pattern IPV4_LOOPBACK = Pattern.compile("127(?:\\.(?:25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})){3}");

    private final Map<String, List<String>> mirrors;
    private final Map<String, String> servers;
    private final Set<String> insecure;
    private final Map<String, Credentials> credentials;

    private RegistryConfig(Map<String, List<String>> mirrors, Map<String, String> servers, Set<String> insecure,
            Map<String, Credentials> credentials) {
        this.mirrors = Map.copyOf(mirrors);
        this.servers = Map.copyOf(servers);
        this.insecure = Set.copyOf(insecure);
        this.credentials = Map.copyOf(credentials);
    }

    /** No mirrors, no credentials, plain HTTP for loopback hosts only. */
    public static RegistryConfig defaults() {
        return new RegistryConfig(Map.of(), Map.of(), Set.of(), Map.of());
    }

    /**
     * Reads the JSON file described in the class comment.
     *
     * @throws IOException when the file or its auth file cannot be read
     * @throws IllegalArgumentException naming the file and the key when the content is invalid
     */
    public static RegistryConfig load(Path file) throws IOException {
        ObjectMapper json = RegistryJson.MAPPER;
        JsonNode root;
        try {
            root = json.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("cannot read registry config " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("registry config " + file + ": expected a JSON object");
        }
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (!FILE_KEYS.contains(e.getKey())) {
                throw new IllegalArgumentException("registry config " + file + ": unknown key '" + e.getKey()
                        + "' (known: mirrors, servers, insecure, authFile)");
            }
        }
        RegistryConfig config = defaults();
        JsonNode mirrors = root.path("mirrors");
        if (!mirrors.isMissingNode()) {
            requireType(mirrors.isObject(), file, "mirrors", "an object of registry -> [hosts]");
            for (Map.Entry<String, JsonNode> e : mirrors.properties()) {
                requireType(e.getValue().isArray(), file, "mirrors." + e.getKey(), "an array of hosts");
                List<String> hosts = new ArrayList<>();
                e.getValue().forEach(h -> hosts.add(h.asText()));
                config = config.withMirrors(e.getKey(), hosts);
            }
        }
        JsonNode servers = root.path("servers");
        if (!servers.isMissingNode()) {
            requireType(servers.isObject(), file, "servers", "an object of registry -> host");
            for (Map.Entry<String, JsonNode> e : servers.properties()) {
                config = config.withServer(e.getKey(), e.getValue().asText());
            }
        }
        JsonNode insecure = root.path("insecure");
        if (!insecure.isMissingNode()) {
            requireType(insecure.isArray(), file, "insecure", "an array of hosts");
            for (JsonNode host : insecure) {
                config = config.withInsecure(host.asText());
            }
        }
        JsonNode authFile = root.path("authFile");
        if (!authFile.isMissingNode()) {
            requireType(authFile.isTextual(), file, "authFile", "a path");
            Path dir = file.toAbsolutePath().getParent();
            config = config.withAuthFile(dir.resolve(authFile.asText()));
        }
        return config;
    }

    private static void requireType(boolean ok, Path file, String key, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("registry config " + file + ": '" + key + "' must be " + expected);
        }
    }

    /** This config with {@code hosts} as the mirrors of {@code registry}, tried in order. */
    public RegistryConfig withMirrors(String registry, List<String> hosts) {
        List<String> checked = new ArrayList<>();
        Set<String> newInsecure = new LinkedHashSet<>(insecure);
        for (String host : hosts) {
            String h = host.strip();
            // Accept URLs as other tools write them; "http://" is a request for plain HTTP.
            if (h.startsWith("http://")) {
                h = requireHost(stripScheme(h), "mirror of " + registry);
                newInsecure.add(h);
            } else {
                h = requireHost(stripScheme(h), "mirror of " + registry);
            }
            checked.add(h);
        }
        Map<String, List<String>> m = new LinkedHashMap<>(mirrors);
        m.put(ImageReference.normalizeRegistry(registry), List.copyOf(checked));
        return new RegistryConfig(m, servers, newInsecure, credentials);
    }

    /** This config with {@code host} as the API server of {@code registry} (not a mirror: the registry itself). */
    public RegistryConfig withServer(String registry, String host) {
        Map<String, String> s = new LinkedHashMap<>(servers);
        s.put(ImageReference.normalizeRegistry(registry), requireHost(stripScheme(host), "server of " + registry));
        return new RegistryConfig(mirrors, s, insecure, credentials);
    }

    /** This config with plain HTTP allowed for {@code host} ({@code host[:port]}). */
    public RegistryConfig withInsecure(String host) {
        Set<String> i = new LinkedHashSet<>(insecure);
        i.add(requireHost(host.strip(), "insecure registry"));
        return new RegistryConfig(mirrors, servers, i, credentials);
    }

    /** This config with credentials for a registry, a host or a {@code registry/namespace}. */
    public RegistryConfig withCredentials(String registry, Credentials creds) {
        Map<String, Credentials> c = new LinkedHashMap<>(credentials);
        c.put(AuthFile.normalizeKey(registry), creds);
        return new RegistryConfig(mirrors, servers, insecure, c);
    }

    /** This config with the credentials of a Docker/containers auth file added (the file's entries win). */
    public RegistryConfig withAuthFile(Path authFile) throws IOException {
        Map<String, Credentials> c = new LinkedHashMap<>(credentials);
        c.putAll(AuthFile.read(authFile, RegistryJson.MAPPER));
        return new RegistryConfig(mirrors, servers, insecure, c);
    }

    /** The mirrors of a registry in the order they are tried; empty when it has none. */
    public List<String> mirrorsFor(String registry) {
        return mirrors.getOrDefault(ImageReference.normalizeRegistry(registry), List.of());
    }

    /** The API host of a registry itself. */
    public String serverFor(String registry) {
        String name = ImageReference.normalizeRegistry(registry);
        String configured = servers.get(name);
        if (configured != null) {
            return configured;
        }
        return name.equals(ImageReference.DOCKER_HUB) ? DOCKER_HUB_SERVER : name;
    }

    /** Whether {@code host} ({@code host[:port]}) is spoken to over plain HTTP: loopback or listed. */
    public boolean isInsecure(String host) {
        String h = host.toLowerCase(java.util.Locale.ROOT);
        if (insecure.contains(h)) {
            return true;
        }
        String name = hostWithoutPort(h);
        return name.equals("localhost") || name.equals("[::1]") || IPV4_LOOPBACK.matcher(name).matches();
    }

    /**
     * The credentials for a repository on {@code host}: the most specific entry among
     * {@code host/namespace...}, {@code host}, and (for Docker Hub's server) {@code docker.io}.
     */
    public Optional<Credentials> credentialsFor(String host, String repository) {
        String registry = ImageReference.normalizeRegistry(host);
        String key = registry + "/" + repository;
        while (true) {
            Credentials c = credentials.get(key);
            if (c != null) {
                return Optional.of(c);
            }
            int slash = key.lastIndexOf('/');
            if (slash < 0) {
                return Optional.empty();
            }
            key = key.substring(0, slash);
        }
    }

    /** The base of the v2 API on {@code host}; https unless {@link #isInsecure(String)}. */
    URI baseUrl(String host) {
        return URI.create((isInsecure(host) ? "http" : "https") + "://" + host + "/v2/");
    }

    private static String stripScheme(String host) {
        String h = host.strip();
        for (String scheme : List.of("https://", "http://")) {
            if (h.startsWith(scheme)) {
                h = h.substring(scheme.length());
            }
        }
        while (h.endsWith("/")) {
            h = h.substring(0, h.length() - 1);
        }
        return h;
    }

    private static String requireHost(String host, String what) {
        if (!ImageReference.isHostPort(host)) {
            throw new IllegalArgumentException(what + ": '" + host + "' is not host[:port]");
        }
        return host.toLowerCase(java.util.Locale.ROOT);
    }

    private static String hostWithoutPort(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? host : host.substring(0, end + 1);
        }
        int colon = host.lastIndexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }

    @Override
    public String toString() {
        return "RegistryConfig[mirrors=" + mirrors + ", servers=" + servers + ", insecure=" + insecure
                + ", credentials for " + credentials.keySet() + "]";
    }
}
