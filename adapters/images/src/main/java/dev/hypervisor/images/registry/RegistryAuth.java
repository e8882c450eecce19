package dev.hypervisor.images.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hypervisor.images.registry.RegistryException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers registry auth challenges and remembers the answers: Bearer tokens per (host, scope)
 * until they expire (https://distribution.github.io/distribution/spec/auth/token/), and which
 * hosts want Basic credentials on every request.
 */
final class RegistryAuth {

    private static final Logger log = LoggerFactory.getLogger(RegistryAuth.class);
    // The token spec: "When omitted, [expires_in] defaults to 60 seconds."
    private static final long DEFAULT_TOKEN_SECONDS = 60;
    private static final int MAX_TOKEN_RESPONSE = 1024 * 1024;

    private record Key(String host, String scope) {}

    private record Token(String value, Instant expires) {}

    private final HttpClient http;
    private final RegistryConfig config;
    private final Clock clock;
    private final Map<Key, Token> tokens = new ConcurrentHashMap<>();
    private final Map<String, Boolean> basicHosts = new ConcurrentHashMap<>();

    RegistryAuth(HttpClient http, RegistryConfig config, Clock clock) {
        this.http = http;
        this.config = config;
        this.clock = clock;
    }

    /** The Authorization header known to work for this host and scope, or null to go anonymous first. */
    String cached(String host, String scope) {
        Token token = tokens.get(new Key(host, scope));
        if (token != null && clock.instant().isBefore(token.expires())) {
            return "Bearer " + token.value();
        }
        if (basicHosts.containsKey(host)) {
            return basicFor(host, repositoryOf(scope)).orElse(null);
        }
        return null;
    }

    /**
     * The Authorization header answering a 401's challenges; always fetches a fresh token, since a
     * 401 with a cached one means it was revoked or expired early.
     */
    String answer(Endpoint ep, String repository, String scope, List<AuthChallenge> challenges, String what) {
        Optional<AuthChallenge> bearer = challenges.stream().filter(AuthChallenge::isBearer).findFirst();
        if (bearer.isPresent()) {
            Token token = fetchToken(ep, repository, scope, bearer.get(), what);
            tokens.put(new Key(ep.host(), scope), token);
            return "Bearer " + token.value();
        }
        if (challenges.stream().anyMatch(AuthChallenge::isBasic)) {
            String header = basicFor(ep.host(), repository).orElseThrow(() -> new RegistryException(Kind.UNAUTHORIZED,
                    ep.describe() + ": " + what + " needs credentials (Basic auth) and none are configured for " + ep.host()));
            requireSecure(ep, ep.base(), what);
            basicHosts.put(ep.host(), Boolean.TRUE);
            return header;
        }
        throw new RegistryException(Kind.UNAUTHORIZED, ep.describe() + ": " + what
                + " not authorized and no supported challenge (Bearer or Basic) in WWW-Authenticate " + challenges);
    }

    private Optional<String> basicFor(String host, String repository) {
        return config.credentialsFor(host, repository).map(Credentials::basicHeader);
    }

    private Token fetchToken(Endpoint ep, String repository, String scope, AuthChallenge challenge, String what) {
        String realm = challenge.param("realm");
        if (realm == null || realm.isEmpty()) {
            throw new RegistryException(Kind.PROTOCOL, ep.describe() + ": Bearer challenge without realm for " + what);
        }
        URI realmUri;
        try {
            realmUri = URI.create(realm);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(Kind.PROTOCOL, ep.describe() + ": invalid token realm '" + realm + "' for " + what);
        }
        StringBuilder query = new StringBuilder();
        if (challenge.param("service") != null) {
            query.append("service=").append(encode(challenge.param("service")));
        }
        // Ask for the scope the registry named, else the one this request needs.
        String wanted = challenge.param("scope") != null ? challenge.param("scope") : scope;
        query.append(query.length() == 0 ? "" : "&").append("scope=").append(encode(wanted));
        URI uri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
        Optional<Credentials> credentials = config.credentialsFor(ep.host(), repository);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().timeout(RegistryTransport.REQUEST_TIMEOUT);
        if (credentials.isPresent()) {
            requireSecure(ep, realmUri, what);
            request.header("Authorization", credentials.get().basicHeader());
        } else if (!"https".equals(realmUri.getScheme()) && !"http".equals(realmUri.getScheme())) {
            throw new RegistryException(Kind.PROTOCOL, ep.describe() + ": token realm '" + realm + "' is not an http(s) URL");
        }
        log.debug("{}: fetching token for {} from {} ({})", ep.describe(), wanted, realmUri.getRawAuthority(),
                credentials.map(c -> "as " + c.username()).orElse("anonymous"));
        HttpResponse<InputStream> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new RegistryException(Kind.UNAVAILABLE, ep.describe() + ": token service " + realm + " unreachable for " + what + ": " + RegistryTransport.describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(Kind.UNAVAILABLE, ep.describe() + ": interrupted fetching a token for " + what, e);
        }
        int status = response.statusCode();
        if (status == 401 || status == 403) {
            RegistryTransport.discard(response);
            throw new RegistryException(Kind.UNAUTHORIZED, ep.describe() + ": token service " + realm + " refused "
                    + credentials.map(c -> "the credentials of " + c.username()).orElse("anonymous access")
                    + " for " + what + " (HTTP " + status + ")");
        }
        if (status != 200) {
            RegistryTransport.discard(response);
            throw new RegistryException(status >= 500 || status == 429 ? Kind.UNAVAILABLE : Kind.PROTOCOL,
                    ep.describe() + ": token service " + realm + " answered HTTP " + status + " for " + what);
        }
        byte[] body = RegistryTransport.readBounded(ep, response, MAX_TOKEN_RESPONSE, "token for " + what);
        return parseToken(ep, body, what);
    }

    private Token parseToken(Endpoint ep, byte[] body, String what) {
        JsonNode json;
        try {
            json = RegistryJson.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new RegistryException(Kind.PROTOCOL, ep.describe() + ": token response for " + what + " is not JSON");
        }
        // "token" is the spec's name; "access_token" the OAuth 2 one that some services send instead.
        String value = json.path("token").asText(json.path("access_token").asText(""));
        if (value.isEmpty()) {
            throw new RegistryException(Kind.PROTOCOL, ep.describe() + ": token response for " + what + " has no token");
        }
        long seconds = json.path("expires_in").asLong(DEFAULT_TOKEN_SECONDS);
        if (seconds <= 0) {
            seconds = DEFAULT_TOKEN_SECONDS;
        }
        // Renew a little early so a token does not expire between our check and the registry's.
        long margin = Math.min(10, seconds / 10);
        return new Token(value, clock.instant().plus(Duration.ofSeconds(seconds - margin)));
    }

    /** Credentials go over HTTPS only, unless the host was declared insecure (or is loopback). */
    private void requireSecure(Endpoint ep, URI target, String what) {
        boolean secure = "https".equals(target.getScheme())
                || ("http".equals(target.getScheme()) && config.isInsecure(target.getRawAuthority()));
        if (!secure) {
            throw new RegistryException(Kind.PROTOCOL, ep.describe() + ": refusing to send credentials for " + what
                    + " over plain HTTP to " + target.getRawAuthority());
        }
    }

    private static String repositoryOf(String scope) {
        String[] parts = scope.split(":");
        return parts.length >= 2 ? parts[1] : "";
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
