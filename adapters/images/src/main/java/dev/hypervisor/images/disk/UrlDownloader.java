package dev.hypervisor.images.disk;

import dev.hypervisor.core.error.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads a URL into a partial file, resuming with {@code Range: bytes=N-} after a broken
 * connection (or a previous attempt) and starting over when the server ignores ranges.
 * Redirects are followed here, not by the HTTP client, so that every hop passes the
 * {@link LocalAddressGuard}.
 */
public record UrlDownloader(HttpClient http, LocalAddressGuard guard) {

    private static final Logger LOG = LoggerFactory.getLogger(UrlDownloader.class);
    private static final int ATTEMPTS = 5;
    private static final int MAX_REDIRECTS = 10;
    private static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);
    private static final java.util.concurrent.ScheduledExecutorService STALLS =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "download-stall-watchdog");
                t.setDaemon(true);
                return t;
            });

    /** What the server said about the body's size before it was sent; -1 when unknown. */
    public interface SizeListener {
        void onSize(long totalBytes);
    }

    /** A downloader that refuses local addresses unless {@code allowLocal}. */
    public static UrlDownloader create(boolean allowLocal) {
        return new UrlDownloader(HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(20)).build(), new LocalAddressGuard(allowLocal));
    }

    /**
     * Fetches {@code url} into {@code partial}; {@code progress} gets byte deltas (negative
     * when a restart discards what was there). Returns the file's final size.
     */
    public long download(URI url, Path partial, SizeListener size, LongConsumer progress, long maxBytes) {
        IOException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                return attempt(url, partial, size, progress, maxBytes);
            } catch (IOException e) {
                last = e;
                LOG.debug("download of {} broke (attempt {}): {}", url, attempt, e.toString());
                sleep(200L * attempt * attempt);
            }
        }
        throw new DiskImageException(ErrorCode.UNAVAILABLE,
                "download of " + url + " failed after " + ATTEMPTS + " attempts: " + last);
    }

    private long attempt(URI url, Path partial, SizeListener size, LongConsumer progress, long maxBytes)
            throws IOException {
        long have = Files.exists(partial) ? Files.size(partial) : 0;
        HttpResponse<InputStream> response = follow(url, have);
        int status = response.statusCode();
        boolean append = status == 206;
        if (status == 416 && have > 0) {
            response.body().close();
            return have; // the partial file is already complete
        }
        if (status != 200 && status != 206) {
            response.body().close();
            if (status >= 500) {
                throw new IOException("HTTP " + status);
            }
            throw new DiskImageException(status == 404 || status == 410 ? ErrorCode.NOT_FOUND : ErrorCode.FAILED_PRECONDITION,
                    "GET " + url + ": HTTP " + status);
        }
        if (!append && have > 0) {
            progress.accept(-have); // the server ignored the range: start over
            have = 0;
        }
        long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        long expectedEnd = length < 0 ? -1 : have + length;
        size.onSize(expectedEnd);
        InputStream body = response.body();
        java.util.concurrent.atomic.AtomicLong lastByte = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
        // A server that stops sending without closing would hang the read forever: close the stream instead.
        var watchdog = STALLS.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastByte.get() > STALL_TIMEOUT.toNanos()) {
                try {
                    body.close();
                } catch (IOException ignored) {
                    // the read fails and the attempt is retried
                }
            }
        }, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        try (InputStream in = body;
                OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE,
                        append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0;) {
                lastByte.set(System.nanoTime());
                have += n;
                if (have > maxBytes) {
                    throw new DiskImageException("download of " + url + " exceeds the limit of " + maxBytes + " bytes");
                }
                out.write(buffer, 0, n);
                progress.accept(n);
            }
        } finally {
            watchdog.cancel(false);
        }
        if (expectedEnd >= 0 && have < expectedEnd) {
            throw new IOException("connection closed after " + have + " of " + expectedEnd + " bytes");
        }
        return have;
    }

    /** The response at the end of the URL's redirects, each hop checked by the guard. */
    private HttpResponse<InputStream> follow(URI url, long have) throws IOException {
        URI target = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            guard.check(target);
            HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(Duration.ofMinutes(30)).GET();
            if (have > 0) {
                request.header("Range", "bytes=" + have + "-");
            }
            HttpResponse<InputStream> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DiskImageException(ErrorCode.UNAVAILABLE, "interrupted while downloading " + url);
            }
            int status = response.statusCode();
            var location = response.headers().firstValue("Location");
            if (!(status == 301 || status == 302 || status == 303 || status == 307 || status == 308) || location.isEmpty()) {
                return response;
            }
            response.body().close();
            URI next = target.resolve(location.get());
            if (target.getScheme().equals("https") && !next.getScheme().equals("https")) {
                throw new DiskImageException("GET " + url + ": redirected from https to " + next.getScheme());
            }
            if (!next.getScheme().equals("http") && !next.getScheme().equals("https")) {
                throw new DiskImageException("GET " + url + ": redirected to a " + next.getScheme() + " URL");
            }
            target = next;
        }
        throw new DiskImageException("GET " + url + ": more than " + MAX_REDIRECTS + " redirects");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
