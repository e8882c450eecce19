package dev.hypervisor.images.registry;

import dev.hypervisor.images.registry.RegistryException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One logical GET against a registry endpoint: attaches cached auth, answers a 401 challenge once,
 * follows redirects itself (so {@code Authorization} never leaks to blob storage), and maps a
 * failed response to a {@link RegistryException}.
 */
final class RegistryTransport {

    private static final Logger log = LoggerFactory.getLogger(RegistryTransport.class);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);

    private final HttpClient http;
    private final RegistryConfig config;
    private final RegistryAuth auth;
    private final RetryPolicy retry;

    RegistryTransport(HttpClient http, RegistryConfig config, RetryPolicy retry, java.time.Clock clock) {
        this.http = http;
        this.config = config;
        this.retry = retry;
        this.auth = new RegistryAuth(http, config, clock);
    }

    RetryPolicy retry() {
        return retry;
    }

    /**
     * GETs {@code path} (relative to the endpoint's {@code /v2/}) with pull access to
     * {@code repository}; returns the final response whatever its status, body unread.
     *
     * @throws RegistryException UNAVAILABLE on a network failure, UNAUTHORIZED when auth cannot be answered
     */
    HttpResponse<InputStream> get(Endpoint ep, String repository, String path, Map<String, String> headers, String what) {
        // Token scope grammar: https://distribution.github.io/distribution/spec/auth/scope/
        String scope = "repository:" + repository + ":pull";
        URI uri = URI.create(ep.base() + path);
        String authorization = auth.cached(ep.host(), scope);
        HttpResponse<InputStream> response = send(ep, uri, headers, authorization, what);
        if (response.statusCode() == 401) {
            List<AuthChallenge> challenges = AuthChallenge.parse(response.headers().allValues("WWW-Authenticate"));
            discard(response);
            authorization = auth.answer(ep, repository, scope, challenges, what);
            response = send(ep, uri, headers, authorization, what);
        }
        return response;
    }

    private HttpResponse<InputStream> send(Endpoint ep, URI first, Map<String, String> headers, String authorization,
            String what) {
        URI uri = first;
        String auth = authorization;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().timeout(REQUEST_TIMEOUT);
            headers.forEach(request::header);
            if (auth != null) {
                request.header("Authorization", auth);
            }
            HttpResponse<InputStream> response;
            try {
                log.debug("GET {}{}", uri, headers.isEmpty() ? "" : " " + headers);
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                throw new RegistryException(Kind.UNAVAILABLE, ep.describe() + ": cannot fetch " + what + ": " + describe(e), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException(Kind.UNAVAILABLE, ep.describe() + ": interrupted fetching " + what, e);
            }
            String location = response.headers().firstValue("Location").orElse(null);
            if (!REDIRECTS.contains(response.statusCode()) || location == null) {
                return response;
            }
            discard(response);
            URI next = uri.resolve(location);
            if (!"https".equals(next.getScheme()) && !("http".equals(next.getScheme()) && config.isInsecure(next.getRawAuthority()))) {
                throw new RegistryException(Kind.PROTOCOL, ep.describe() + ": refusing redirect of " + what
                        + " to " + next.getScheme() + "://" + next.getRawAuthority() + " (plain HTTP is only used for insecure registries)");
            }
            if (!next.getRawAuthority().equalsIgnoreCase(first.getRawAuthority())) {
                // Blob storage (S3, GCS) authenticates with the signed URL and rejects a second scheme.
                auth = null;
            }
            uri = next;
        }
        throw new RegistryException(Kind.PROTOCOL, ep.describe() + ": more than " + MAX_REDIRECTS + " redirects fetching " + what);
    }

    /** The exception for a response that is not the success the caller wanted; consumes and closes it. */
    RegistryException failure(Endpoint ep, HttpResponse<InputStream> response, String what) {
        int status = response.statusCode();
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(MAX_ERROR_BODY);
        } catch (IOException e) {
            body = new byte[0];
        }
        List<RegistryJson.RegistryError> errors = RegistryJson.errors(body);
        String detail = " (HTTP " + status + (errors.isEmpty() ? "" : ", " + errors) + ")";
        Kind kind = kindOf(status, errors);
        String verb = switch (kind) {
            case NOT_FOUND -> " not found";
            case UNAUTHORIZED -> " not authorized";
            case UNAVAILABLE -> " unavailable";
            case PROTOCOL -> " failed";
        };
        return new RegistryException(kind, ep.describe() + ": " + what + verb + detail);
    }

    private static Kind kindOf(int status, List<RegistryJson.RegistryError> errors) {
        for (RegistryJson.RegistryError e : errors) {
            switch (e.code()) {
                case "MANIFEST_UNKNOWN", "NAME_UNKNOWN", "BLOB_UNKNOWN":
                    return Kind.NOT_FOUND;
                case "UNAUTHORIZED", "DENIED":
                    return Kind.UNAUTHORIZED;
                case "TOOMANYREQUESTS", "UNAVAILABLE":
                    return Kind.UNAVAILABLE;
                default:
                    break;
            }
        }
        if (status == 404) {
            return Kind.NOT_FOUND;
        }
        if (status == 401 || status == 403) {
            return Kind.UNAUTHORIZED;
        }
        if (status == 429 || status == 408 || status >= 500) {
            return Kind.UNAVAILABLE;
        }
        return Kind.PROTOCOL;
    }

    /**
     * Runs {@code call}, retrying UNAVAILABLE failures with back-off up to the policy's attempts;
     * for small documents only: blob downloads resume instead (see {@link BlobDownload}).
     */
    <T> T retrying(Endpoint ep, String what, Supplier<T> call) {
        for (int attempt = 1; ; attempt++) {
            try {
                return call.get();
            } catch (RegistryException e) {
                if (e.kind() != Kind.UNAVAILABLE || attempt >= retry.maxAttempts()) {
                    throw e;
                }
                log.debug("{}: attempt {} of {} for {} failed, retrying: {}", ep.describe(), attempt, retry.maxAttempts(), what,
                        e.getMessage());
                pause(retry.backoff(attempt), ep, what);
            }
        }
    }

    /**
     * What went wrong on the wire, in words: the JDK's HTTP client throws a ConnectException
     * without a message for a refused connection, and hides an unknown host in its cause.
     */
    static String describe(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.channels.UnresolvedAddressException || t instanceof java.net.UnknownHostException) {
                return "host not found";
            }
            if (t instanceof java.net.http.HttpConnectTimeoutException) {
                return "connect timed out";
            }
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        return e instanceof java.net.ConnectException ? "connection refused" : e.getClass().getSimpleName();
    }

    static void pause(Duration backoff, Endpoint ep, String what) {
        try {
            Thread.sleep(backoff.toMillis());
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new RegistryException(Kind.UNAVAILABLE, ep.describe() + ": interrupted fetching " + what, ie);
        }
    }

    /** Reads at most {@code limit} bytes of a 2xx body; more is a PROTOCOL error (a manifest or config is small). */
    static byte[] readBounded(Endpoint ep, HttpResponse<InputStream> response, int limit, String what) {
        try (InputStream in = response.body()) {
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw new RegistryException(Kind.PROTOCOL, ep.describe() + ": " + what + " is larger than " + limit + " bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw new RegistryException(Kind.UNAVAILABLE, ep.describe() + ": connection lost reading " + what + ": " + describe(e), e);
        }
    }

    static void discard(HttpResponse<InputStream> response) {
        try {
            response.body().close();
        } catch (IOException e) {
            // Nothing to keep from a body we do not want.
        }
    }
}
