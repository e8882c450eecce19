package dev.hypervisor.images.registry;

import dev.hypervisor.images.registry.RegistryException.Kind;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls from OCI Distribution v2 registries
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pull): resolves a
 * reference to one platform's manifest and config, and downloads blobs resumably; thread-safe.
 *
 * <p>For a registry with mirrors each mirror is tried first, and the next one (finally the
 * registry itself) when a mirror lacks the content or cannot be reached.
 */
public final class RegistryClient {

    private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);
    // The distribution spec: registries SHOULD accept manifests of up to 4 MiB, so none is larger.
    static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
    static final int MAX_CONFIG_BYTES = 16 * 1024 * 1024;

    private final RegistryConfig config;
    private final Platform platform;
    private final RegistryTransport transport;
    private final BlobDownload blobs;

    /** A client for linux/amd64 images with the default retry policy. */
    public RegistryClient(RegistryConfig config) {
        this(config, Platform.linuxAmd64(), RetryPolicy.defaults());
    }

    /** A client picking {@code platform} out of indexes, retrying as {@code retry} says. */
    public RegistryClient(RegistryConfig config, Platform platform, RetryPolicy retry) {
        this(config, platform, retry, java.time.Clock.systemUTC());
    }

    /** The same, with the clock that bearer tokens expire by. */
    public RegistryClient(RegistryConfig config, Platform platform, RetryPolicy retry, java.time.Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.platform = Objects.requireNonNull(platform, "platform");
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                // Redirects are followed by RegistryTransport, which drops Authorization on the way to storage.
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
        this.transport = new RegistryTransport(http, config, Objects.requireNonNull(retry, "retry"), clock);
        this.blobs = new BlobDownload(transport);
    }

    /**
     * Resolves {@code ref} to the manifest of this client's platform, with its config fetched and
     * verified. The manifest digest is always computed from the bytes received and, when the
     * reference pins a digest, must equal it.
     *
     * @throws RegistryException NOT_FOUND, UNAUTHORIZED, UNAVAILABLE or PROTOCOL; a
     *     {@link BlobVerificationException} when a manifest or the config does not match its digest
     */
    public ResolvedImage resolve(ImageReference ref) {
        Objects.requireNonNull(ref, "ref");
        return onEndpoints(ref, ep -> resolveOn(ep, ref));
    }

    /**
     * Downloads {@code blob} into {@code partialFile}, continuing from the bytes already in it, and
     * verifies its size and digest. {@code bytesProgress} receives deltas whose sum is always the
     * size of {@code partialFile}: bytes found there at the start are reported once up front, and a
     * negative delta reports bytes thrown away when the registry ignored a Range request. It is
     * called on the caller's thread.
     *
     * @throws BlobVerificationException when the complete file does not match; the file is deleted
     * @throws RegistryException NOT_FOUND, UNAUTHORIZED, UNAVAILABLE (after retries) or PROTOCOL;
     *     the partial file is kept for a later resume
     * @throws java.io.UncheckedIOException when the partial file cannot be written or read (a local problem)
     */
    public void fetchBlob(ImageReference ref, Descriptor blob, Path partialFile, LongConsumer bytesProgress) {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(blob, "blob");
        Objects.requireNonNull(partialFile, "partialFile");
        LongConsumer progress = bytesProgress == null ? n -> { } : bytesProgress;
        onEndpoints(ref, ep -> {
            blobs.fetch(ep, ref, blob, partialFile, progress);
            return null;
        });
    }

    /** The v2 API base this client uses for {@code host}: decides HTTP versus HTTPS. */
    URI baseUrl(String host) {
        return config.baseUrl(host);
    }

    private <T> T onEndpoints(ImageReference ref, Function<Endpoint, T> call) {
        List<Endpoint> endpoints = Endpoint.of(config, ref.registry());
        List<RegistryException> skipped = new ArrayList<>();
        for (Endpoint ep : endpoints) {
            try {
                return call.apply(ep);
            } catch (RegistryException e) {
                boolean fallBack = ep.mirror() && (e.kind() == Kind.NOT_FOUND || e.kind() == Kind.UNAVAILABLE)
                        && !(e instanceof BlobVerificationException);
                if (!fallBack) {
                    skipped.forEach(e::addSuppressed);
                    throw e;
                }
                log.debug("{} skipped for {}: {}", ep.describe(), ref, e.getMessage());
                skipped.add(e);
            }
        }
        throw new IllegalStateException("no endpoint for " + ref); // unreachable: the last endpoint is never a mirror
    }

    private ResolvedImage resolveOn(Endpoint ep, ImageReference ref) {
        Fetched fetched = fetchManifest(ep, ref, ref.manifestReference(), ref.digest().orElse(null));
        Manifests.Parsed parsed = Manifests.parse(fetched.bytes(), fetched.contentType(), manifestWhere(ep, ref, fetched.digest()));
        if (parsed.isIndex()) {
            Descriptor chosen = choosePlatform(ep, ref, parsed);
            fetched = fetchManifest(ep, ref, chosen.digest(), chosen.digest());
            String where = manifestWhere(ep, ref, chosen.digest());
            parsed = Manifests.parse(fetched.bytes(), fetched.contentType(), where);
            if (parsed.isIndex()) {
                throw new RegistryException(Kind.PROTOCOL, where + " for " + platform + " is an index again, not an image manifest");
            }
        }
        byte[] configBytes = fetchConfig(ep, ref, parsed.config());
        return new ResolvedImage(ref, fetched.digest(), parsed.mediaType(), fetched.bytes(), parsed.config(), configBytes,
                parsed.layers());
    }

    private Descriptor choosePlatform(Endpoint ep, ImageReference ref, Manifests.Parsed index) {
        return index.manifests().stream()
                .filter(d -> platform.matches(d.platform()) && MediaTypes.MANIFESTS.contains(d.mediaType()))
                .findFirst()
                .orElseThrow(() -> new RegistryException(Kind.NOT_FOUND, ep.describe() + ": " + ref + " has no "
                        + platform + " image; the index offers " + index.manifests().stream()
                                .map(d -> String.valueOf(d.platform())).collect(Collectors.joining(", ", "[", "]"))));
    }

    private record Fetched(byte[] bytes, String contentType, String digest) {}

    private Fetched fetchManifest(Endpoint ep, ImageReference ref, String reference, String expectedDigest) {
        String what = "manifest " + (reference.equals(ref.manifestReference()) ? ref.toString() : reference + " of " + ref);
        Fetched fetched = transport.retrying(ep, what, () -> {
            HttpResponse<InputStream> response = transport.get(ep, ref.repository(),
                    ref.repository() + "/manifests/" + reference, Map.of("Accept", MediaTypes.MANIFEST_ACCEPT), what);
            if (response.statusCode() != 200) {
                throw transport.failure(ep, response, what);
            }
            String contentType = response.headers().firstValue("Content-Type").map(t -> t.split(";")[0].strip()).orElse(null);
            String headerDigest = response.headers().firstValue("Docker-Content-Digest").orElse(null);
            byte[] bytes = RegistryTransport.readBounded(ep, response, MAX_MANIFEST_BYTES, what);
            String digest = expectedDigest != null ? Digests.of(bytes, expectedDigest) : Digests.sha256(bytes);
            // The digest is of the exact bytes received (distribution spec, "Pulling manifests").
            if (expectedDigest != null && !digest.equals(expectedDigest)) {
                throw mismatch(ep, what, expectedDigest, digest);
            }
            if (expectedDigest == null && Digests.isValid(headerDigest) && !Digests.of(bytes, headerDigest).equals(headerDigest)) {
                throw mismatch(ep, what, headerDigest, Digests.of(bytes, headerDigest));
            }
            return new Fetched(bytes, contentType, digest);
        });
        log.debug("{}: {} is {} ({} bytes)", ep.describe(), what, fetched.digest(), fetched.bytes().length);
        return fetched;
    }

    private byte[] fetchConfig(Endpoint ep, ImageReference ref, Descriptor config) {
        String what = "config " + config.digest() + " of " + ref;
        if (config.size() > MAX_CONFIG_BYTES) {
            throw new RegistryException(Kind.PROTOCOL, ep.describe() + ": " + what + " claims " + config.size()
                    + " bytes, more than the " + MAX_CONFIG_BYTES + " an image config may have");
        }
        return transport.retrying(ep, what, () -> {
            HttpResponse<InputStream> response = transport.get(ep, ref.repository(),
                    ref.repository() + "/blobs/" + config.digest(), Map.of(), what);
            if (response.statusCode() != 200) {
                throw transport.failure(ep, response, what);
            }
            byte[] bytes = RegistryTransport.readBounded(ep, response, (int) config.size(), what);
            String actual = Digests.of(bytes, config.digest());
            if (bytes.length != config.size() || !actual.equals(config.digest())) {
                throw mismatch(ep, what + " (" + bytes.length + " of " + config.size() + " bytes)", config.digest(), actual);
            }
            return bytes;
        });
    }

    private static String manifestWhere(Endpoint ep, ImageReference ref, String digest) {
        return ep.describe() + ": manifest " + digest + " of " + ref;
    }

    static BlobVerificationException mismatch(Endpoint ep, String what, String expected, String actual) {
        return new BlobVerificationException(ep.describe() + ": " + what + " does not match its digest: expected "
                + expected + ", got " + actual, expected, actual);
    }
}
