package dev.hypervisor.images.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The auth a {@link RegistryProxy} demands: none, Basic, or Docker's Bearer token flow
 * (https://distribution.github.io/distribution/spec/auth/token/) with its own {@code /token}
 * endpoint, optionally guarded by Basic credentials. Tokens carry their scope and expire.
 */
public final class ProxyAuth {

    static final String TOKEN_PATH = "/token";
    /** The {@code service} named in Bearer challenges. */
    public static final String SERVICE = "registry-proxy";
    private static final Pattern REPOSITORY_PATH = Pattern.compile("/v2/(.+)/(manifests|blobs|tags)/.*");

    private enum Mode { OFF, BEARER, BASIC }

    private record Issued(String scope, Instant expires) {}

    private final String proxyHost;
    private volatile Mode mode = Mode.OFF;
    private volatile String expectedBasic;
    private volatile Duration lifetime = Duration.ofMinutes(5);
    private final Map<String, Issued> tokens = new ConcurrentHashMap<>();
    private final AtomicInteger issued = new AtomicInteger();

    ProxyAuth(String proxyHost) {
        this.proxyHost = proxyHost;
    }

    /** Demands Bearer tokens, which {@code /token} hands to anyone. */
    public ProxyAuth requireBearerToken() {
        expectedBasic = null;
        mode = Mode.BEARER;
        return this;
    }

    /** Demands Bearer tokens, which {@code /token} hands out only for these Basic credentials. */
    public ProxyAuth requireBearerToken(String user, String password) {
        expectedBasic = basic(user, password);
        mode = Mode.BEARER;
        return this;
    }

    /** Demands these Basic credentials on every request. */
    public ProxyAuth requireBasic(String user, String password) {
        expectedBasic = basic(user, password);
        mode = Mode.BASIC;
        return this;
    }

    /** The {@code expires_in} of tokens issued from now on (default five minutes). */
    public ProxyAuth tokenLifetime(Duration lifetime) {
        this.lifetime = lifetime;
        return this;
    }

    /** Switches auth off and forgets issued tokens. */
    public void off() {
        mode = Mode.OFF;
        expectedBasic = null;
        tokens.clear();
        issued.set(0);
    }

    /** How many tokens {@code /token} has issued. */
    public int tokensIssued() {
        return issued.get();
    }

    boolean enabled() {
        return mode != Mode.OFF;
    }

    boolean admits(ProxyHttp.Request request) {
        String authorization = request.header("authorization");
        return switch (mode) {
            case OFF -> true;
            case BASIC -> authorization.equals(expectedBasic);
            case BEARER -> {
                if (!authorization.startsWith("Bearer ")) {
                    yield false;
                }
                Issued token = tokens.get(authorization.substring("Bearer ".length()));
                String repository = repositoryOf(request.path());
                yield token != null && Instant.now().isBefore(token.expires())
                        && (repository == null || token.scope().contains("repository:" + repository + ":"));
            }
        };
    }

    int challenge(ProxyHttp.Request request, OutputStream out) throws IOException {
        String repository = repositoryOf(request.path());
        String header = mode == Mode.BASIC
                ? "Basic realm=\"" + SERVICE + "\""
                : "Bearer realm=\"http://" + proxyHost + TOKEN_PATH + "\",service=\"" + SERVICE + "\""
                        + (repository == null ? "" : ",scope=\"repository:" + repository + ":pull\"");
        return ProxyHttp.writeSimple(out, 401, Map.of("WWW-Authenticate", header),
                "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\",\"detail\":null}]}");
    }

    int serveToken(ProxyHttp.Request request, OutputStream out) throws IOException {
        if (mode != Mode.BEARER) {
            return ProxyHttp.writeSimple(out, 404, Map.of(), "no token service: bearer auth is off\n");
        }
        if (expectedBasic != null && !request.header("authorization").equals(expectedBasic)) {
            return ProxyHttp.writeSimple(out, 401, Map.of("WWW-Authenticate", "Basic realm=\"" + SERVICE + "\""),
                    "{\"details\":\"incorrect username or password\"}");
        }
        String scope = "";
        for (String param : request.query().split("&")) {
            if (param.startsWith("scope=")) {
                scope += java.net.URLDecoder.decode(param.substring("scope=".length()), StandardCharsets.UTF_8) + " ";
            }
        }
        String token = UUID.randomUUID().toString();
        Duration life = lifetime;
        tokens.put(token, new Issued(scope, Instant.now().plus(life)));
        issued.incrementAndGet();
        return ProxyHttp.writeSimple(out, 200, Map.of("Content-Type", "application/json"),
                "{\"token\":\"" + token + "\",\"access_token\":\"" + token + "\",\"expires_in\":" + life.toSeconds()
                        + ",\"issued_at\":\"" + Instant.now() + "\"}");
    }

    private static String repositoryOf(String path) {
        Matcher m = REPOSITORY_PATH.matcher(path);
        return m.matches() ? m.group(1) : null;
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
