package dev.hypervisor.images.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * A loopback HTTP proxy in front of a {@link dev.hypervisor.testkit.images.RegistryServer} for pull tests, with faults to
 * switch on: Bearer-token or Basic auth ({@link ProxyAuth}), a connection cut or stalled after N
 * bytes of a blob, corrupted content, a server that ignores Range, blob redirects to a
 * storage path that rejects Authorization headers, and a record of every request
 * (path, Range, Authorization scheme, status) to assert retries, resumes and caching.
 *
 * <p>Only GET and HEAD are served (pushes go to the registry directly); bodies are streamed and
 * Range is forwarded. Each connection carries one request ({@code Connection: close}).
 *
 * <pre>{@code
 * try (RegistryProxy proxy = RegistryProxy.start(registry.host())) {
 *     proxy.auth().requireBearerToken("alice", "secret");
 *     proxy.cutAfter(layerDigest, 100_000);
 *     ... pull from proxy.host() ...
 *     assertThat(proxy.rangeHeaders(layerDigest)).contains("bytes=100000-");
 * }
 * }</pre>
 */
public final class RegistryProxy implements AutoCloseable {

    /** One request the proxy answered; {@code authorization} is the scheme only (Bearer, Basic) or empty. */
    public record SeenRequest(String method, String path, String query, String range, String authorization, int status) {}

    /** How a response body is tampered with. */
    enum Fault { CUT, STALL }

    record OneShot(Fault fault, long afterBytes) {}

    private static final String STORAGE = "/storage";
    /** What a handler returns when it recorded the request itself (before streaming the body). */
    private static final int RECORDED = -1;

    private final ServerSocket server;
    private final String upstream;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "registry-proxy");
        t.setDaemon(true);
        return t;
    });
    private final ProxyAuth auth;
    private final List<SeenRequest> seen = new CopyOnWriteArrayList<>();
    private final Map<String, OneShot> oneShots = new ConcurrentHashMap<>();
    private final Map<String, Boolean> corrupt = new ConcurrentHashMap<>();
    private volatile boolean ignoreRange;
    private volatile boolean redirectBlobs;
    private volatile boolean closed;

    private RegistryProxy(ServerSocket server, String upstream) {
        this.server = server;
        this.upstream = upstream;
        this.auth = new ProxyAuth("127.0.0.1:" + server.getLocalPort());
    }

    /** Starts a proxy on a free 127.0.0.1 port forwarding to {@code upstreamHost} ({@code host:port}, plain HTTP). */
    public static RegistryProxy start(String upstreamHost) {
        try {
            ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            RegistryProxy proxy = new RegistryProxy(server, upstreamHost);
            proxy.threads.execute(proxy::acceptLoop);
            return proxy;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start registry proxy: " + e, e);
        }
    }

    /** {@code 127.0.0.1:PORT}, to use as a registry host in references and configs. */
    public String host() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** The auth this proxy demands (none until switched on). */
    public ProxyAuth auth() {
        return auth;
    }

    /** Closes the connection after {@code bytes} body bytes of the next successful response for {@code digest}. */
    public RegistryProxy cutAfter(String digest, long bytes) {
        oneShots.put(digest, new OneShot(Fault.CUT, bytes));
        return this;
    }

    /** Sends {@code bytes} body bytes of the next successful response for {@code digest}, then nothing until closed. */
    public RegistryProxy stallAfter(String digest, long bytes) {
        oneShots.put(digest, new OneShot(Fault.STALL, bytes));
        return this;
    }

    /** From now on flips one byte in every response for {@code digest} (a blob or a manifest by digest): same length, wrong digest. */
    public RegistryProxy corrupt(String digest) {
        corrupt.put(digest, Boolean.TRUE);
        return this;
    }

    /** Drops Range headers instead of forwarding them, so the registry answers 200 with the whole blob. */
    public RegistryProxy ignoreRange(boolean ignore) {
        this.ignoreRange = ignore;
        return this;
    }

    /**
     * Answers blob GETs with a 307 to {@code /storage/...} on this proxy, as registries redirect to
     * S3 or GCS; like those, the storage path serves anyone and rejects requests that carry an
     * {@code Authorization} header (400).
     */
    public RegistryProxy redirectBlobs(boolean redirect) {
        this.redirectBlobs = redirect;
        return this;
    }

    /** Every request answered so far, in order. */
    public List<SeenRequest> requests() {
        return List.copyOf(seen);
    }

    /** How many requests had exactly this path (query excluded), e.g. {@code /v2/library/busybox/manifests/latest}. */
    public long requestCount(String path) {
        return requests(r -> r.path().equals(path)).size();
    }

    public List<SeenRequest> requests(Predicate<SeenRequest> filter) {
        return seen.stream().filter(filter).toList();
    }

    /** The Range headers of the requests for {@code digest}, in order; empty strings for requests without one. */
    public List<String> rangeHeaders(String digest) {
        return requests(r -> r.path().endsWith("/" + digest)).stream().map(SeenRequest::range).toList();
    }

    /** Forgets recorded requests and switches every fault and auth off. */
    public void reset() {
        seen.clear();
        oneShots.clear();
        corrupt.clear();
        ignoreRange = false;
        redirectBlobs = false;
        auth.off();
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        threads.shutdownNow();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                threads.execute(() -> serve(socket));
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("registry proxy: accept failed: " + e);
                }
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            ProxyHttp.Request request = ProxyHttp.readRequest(in);
            if (request == null) {
                return;
            }
            int status = handle(request, out);
            if (status != RECORDED) {
                record(request, status);
            }
        } catch (IOException e) {
            // The client went away (or a fault closed the socket on purpose).
        }
    }

    private void record(ProxyHttp.Request request, int status) {
        seen.add(new SeenRequest(request.method(), request.path(), request.query(), request.header("range"),
                scheme(request.header("authorization")), status));
    }

    private int handle(ProxyHttp.Request request, OutputStream out) throws IOException {
        if (!request.method().equals("GET") && !request.method().equals("HEAD")) {
            return ProxyHttp.writeSimple(out, 405, Map.of(), "pull-only proxy: " + request.method() + " not supported\n");
        }
        if (request.path().equals(ProxyAuth.TOKEN_PATH)) {
            return auth.serveToken(request, out);
        }
        if (request.path().startsWith(STORAGE)) {
            if (!request.header("authorization").isEmpty()) {
                return ProxyHttp.writeSimple(out, 400, Map.of(), "storage: only one auth mechanism allowed\n");
            }
            return forward(request, "/v2" + request.path().substring(STORAGE.length()), out);
        }
        if (!auth.admits(request)) {
            return auth.challenge(request, out);
        }
        if (redirectBlobs && request.path().contains("/blobs/")) {
            // "localhost" rather than 127.0.0.1: another authority, as blob storage is another host.
            String location = "http://localhost:" + server.getLocalPort() + STORAGE + request.path().substring("/v2".length()) + "?signature=test";
            return ProxyHttp.writeSimple(out, 307, Map.of("Location", location), "");
        }
        return forward(request, request.path(), out);
    }

    private int forward(ProxyHttp.Request request, String upstreamPath, OutputStream out) throws IOException {
        String query = request.path().startsWith(STORAGE) ? "" : request.query(); // the storage "signature" stays here
        URI uri = URI.create("http://" + upstream + upstreamPath + (query.isEmpty() ? "" : "?" + query));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(request.method(), HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(30));
        for (String name : List.of("accept", "range", "authorization")) {
            String value = request.header(name);
            boolean dropped = (name.equals("range") && ignoreRange) || (name.equals("authorization") && auth.enabled());
            if (!value.isEmpty() && !dropped) {
                b.header(name, value);
            }
        }
        HttpResponse<InputStream> response;
        try {
            response = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ProxyHttp.writeSimple(out, 502, Map.of(), "interrupted\n");
        } catch (IOException e) {
            return ProxyHttp.writeSimple(out, 502, Map.of(), "upstream " + upstream + " failed: " + e + "\n");
        }
        int status = response.statusCode();
        String digest = digestOf(request.path());
        boolean success = status == 200 || status == 206;
        OneShot oneShot = success && digest != null && request.method().equals("GET") ? oneShots.remove(digest) : null;
        boolean flip = success && digest != null && corrupt.containsKey(digest);
        // Recorded before the body so that a cut or stalled request shows up before the client's retry.
        record(request, status);
        try (InputStream body = response.body()) {
            ProxyHttp.writeHead(out, status, response.headers().map(), upstream, host());
            if (request.method().equals("HEAD")) {
                return RECORDED;
            }
            long limit = oneShot == null ? Long.MAX_VALUE : oneShot.afterBytes();
            long copied = ProxyHttp.copy(body, out, limit, flip);
            if (oneShot != null && copied >= limit) {
                out.flush();
                if (oneShot.fault() == Fault.STALL) {
                    stallUntilClosed();
                }
                // Returning closes the socket mid-body: the client sees fewer bytes than Content-Length.
            }
        }
        return RECORDED;
    }

    private void stallUntilClosed() {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!closed && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The digest at the end of a blob or manifest-by-digest path, else null. */
    static String digestOf(String path) {
        int slash = path.lastIndexOf('/');
        String last = path.substring(slash + 1);
        boolean content = path.contains("/blobs/") || path.contains("/manifests/");
        return content && (last.startsWith("sha256:") || last.startsWith("sha512:")) ? last : null;
    }

    private static String scheme(String authorization) {
        int space = authorization.indexOf(' ');
        return space < 0 ? authorization : authorization.substring(0, space);
    }
}
