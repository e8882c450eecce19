package dev.hypervisor.images.registry;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An image reference as users type it ({@code nginx}, {@code localhost:5000/app:1},
 * {@code reg.example/x@sha256:...}), normalized to registry, repository, tag and digest.
 *
 * <p>The grammar is the one of distribution's reference package, which the distribution spec's
 * {@code <name>} and {@code <reference>} rules restate
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests);
 * the short-name rules (Docker Hub default, {@code library/} prefix) are Docker's.
 */
public final class ImageReference {

    /** The name users mean by a registry-less reference. */
    public static final String DOCKER_HUB = "docker.io";
    public static final String DEFAULT_TAG = "latest";

    // distribution/reference: path components are lowercase alphanumerics joined by one '.',
    // one or two '_', or any number of '-'.
    private static final Pattern PATH_COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern DOMAIN = Pattern.compile(
            "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
                    + "|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");
    private static final int MAX_NAME_LENGTH = 255;

    private final String registry;
    private final String repository;
    private final String tag;
    private final String digest;

    private ImageReference(String registry, String repository, String tag, String digest) {
        this.registry = registry;
        this.repository = repository;
        this.tag = tag;
        this.digest = digest;
    }

    /**
     * Parses a reference; a reference with neither tag nor digest gets tag {@code latest}.
     *
     * @throws IllegalArgumentException naming the input and what is wrong with it
     */
    public static ImageReference parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("image reference is empty");
        }
        if (!text.equals(text.strip())) {
            throw invalid(text, "it has leading or trailing whitespace");
        }
        String rest = text;
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!Digests.isValid(digest)) {
                throw invalid(text, "digest '" + digest
                        + "' is not sha256:<64 lowercase hex> or sha512:<128 lowercase hex>");
            }
        }
        String registry = DOCKER_HUB;
        int slash = rest.indexOf('/');
        if (slash >= 0 && isRegistry(rest.substring(0, slash))) {
            registry = rest.substring(0, slash);
            rest = rest.substring(slash + 1);
            if (!isHostPort(registry)) {
                throw invalid(text, "registry '" + registry + "' is not a host name or address with an optional port");
            }
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw invalid(text, "tag '" + tag + "' must be 1-128 of [A-Za-z0-9_.-] and not start with '.' or '-'");
            }
        }
        String repository = rest;
        if (repository.isEmpty()) {
            throw invalid(text, "repository name is empty");
        }
        for (String component : repository.split("/", -1)) {
            if (!PATH_COMPONENT.matcher(component).matches()) {
                throw invalid(text, "repository component '" + component
                        + "' must be lowercase letters and digits, separated by '.', '_', '__' or '-'");
            }
        }
        registry = normalizeRegistry(registry);
        if (registry.equals(DOCKER_HUB) && !repository.contains("/")) {
            repository = "library/" + repository;
        }
        if ((registry + "/" + repository).length() > MAX_NAME_LENGTH) {
            throw invalid(text, "name is longer than " + MAX_NAME_LENGTH + " characters");
        }
        if (tag == null && digest == null) {
            tag = DEFAULT_TAG;
        }
        return new ImageReference(registry, repository, tag, digest);
    }

    /**
     * Whether {@code host} is {@code host[:port]} as a URL can carry it: the grammar admits any
     * hex and colons in brackets and five-digit ports, which the URL of every request (or the
     * connection) would refuse later, unchecked, in the middle of a pull.
     */
    static boolean isHostPort(String host) {
        if (!DOMAIN.matcher(host).matches()) {
            return false;
        }
        try {
            URI url = new URI("https://" + host + "/");
            return url.getHost() != null && url.getPort() <= 65535;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** The registry name users know (Docker Hub's aliases become {@code docker.io}). */
    static String normalizeRegistry(String registry) {
        String lower = registry.toLowerCase(java.util.Locale.ROOT);
        if (lower.equals("index.docker.io") || lower.equals("registry-1.docker.io")) {
            return DOCKER_HUB;
        }
        return lower;
    }

    // Docker's rule: the first component names a registry when it looks like a host.
    private static boolean isRegistry(String first) {
        return first.contains(".") || first.contains(":") || first.equals("localhost") || first.startsWith("[");
    }

    private static IllegalArgumentException invalid(String text, String why) {
        return new IllegalArgumentException("invalid image reference '" + text + "': " + why);
    }

    /** The registry's name, e.g. {@code docker.io} or {@code 127.0.0.1:5000}; see {@link RegistryConfig} for its API host. */
    public String registry() {
        return registry;
    }

    /** The repository path inside the registry, e.g. {@code library/nginx}. */
    public String repository() {
        return repository;
    }

    public Optional<String> tag() {
        return Optional.ofNullable(tag);
    }

    public Optional<String> digest() {
        return Optional.ofNullable(digest);
    }

    /** What goes into a manifest URL: the digest when pinned (it wins over the tag), else the tag. */
    public String manifestReference() {
        return digest != null ? digest : tag;
    }

    /** This reference pinned to {@code digest}, keeping the tag for display. */
    public ImageReference withDigest(String newDigest) {
        Digests.requireValid(newDigest, "digest of " + this);
        return new ImageReference(registry, repository, tag, newDigest);
    }

    /** The canonical form: {@code registry/repository[:tag][@digest]}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(registry).append('/').append(repository);
        if (tag != null) {
            s.append(':').append(tag);
        }
        if (digest != null) {
            s.append('@').append(digest);
        }
        return s.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageReference r && registry.equals(r.registry) && repository.equals(r.repository)
                && Objects.equals(tag, r.tag) && Objects.equals(digest, r.digest);
    }

    @Override
    public int hashCode() {
        return Objects.hash(registry, repository, tag, digest);
    }
}
