package dev.hypervisor.images.registry;

import dev.hypervisor.images.registry.RegistryException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one blob into a partial file, resuming with {@code Range: bytes=N-} after a broken
 * connection (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-blobs)
 * and verifying size and digest of the whole file at the end.
 */
final class BlobDownload {

    private static final Logger log = LoggerFactory.getLogger(BlobDownload.class);
    private static final int BUFFER = 64 * 1024;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    // One daemon thread watches all transfers for stalls: the JDK client has no read timeout.
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "registry-stall-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final RegistryTransport transport;

    BlobDownload(RegistryTransport transport) {
        this.transport = transport;
    }

    void fetch(Endpoint ep, ImageReference ref, Descriptor blob, Path partial, LongConsumer progress) {
        String what = "blob " + blob.digest() + " of " + ref;
        long have = prepare(partial, blob, what);
        if (have > 0) {
            progress.accept(have);
        }
        RetryPolicy retry = transport.retry();
        for (int attempt = 1; have < blob.size(); attempt++) {
            try {
                have = transferOnce(ep, ref, blob, partial, have, progress, what);
            } catch (TransferBroken e) {
                have = size(partial, what);
                if (attempt >= retry.maxAttempts()) {
                    throw new RegistryException(Kind.UNAVAILABLE, ep.describe() + ": " + what + " still incomplete after "
                            + attempt + " attempts (" + have + " of " + blob.size() + " bytes): " + e.getMessage(), e.getCause());
                }
                log.debug("{}: {} broken at {} of {} bytes (attempt {}), resuming: {}", ep.describe(), what, have, blob.size(),
                        attempt, e.getMessage());
                RegistryTransport.pause(retry.backoff(attempt), ep, what);
            }
        }
        verify(ep, partial, blob, have, progress, what);
    }

    private static long prepare(Path partial, Descriptor blob, String what) {
        try {
            if (!Files.exists(partial)) {
                Files.createFile(partial);
            }
            if (Files.size(partial) > blob.size()) {
                // More bytes than the blob has: not a prefix of it, so nothing to resume from.
                truncate(partial);
            }
            return Files.size(partial);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + partial + " for " + what + ": " + e.getMessage(), e);
        }
    }

    /** One request; returns the file's size afterwards. Throws TransferBroken for what a retry may fix. */
    private long transferOnce(Endpoint ep, ImageReference ref, Descriptor blob, Path partial, long have, LongConsumer progress,
            String what) throws TransferBroken {
        Map<String, String> headers = new HashMap<>();
        if (have > 0) {
            headers.put("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> response;
        try {
            response = transport.get(ep, ref.repository(), ref.repository() + "/blobs/" + blob.digest(), headers, what);
        } catch (RegistryException e) {
            throw retryableOrRethrow(e);
        }
        int status = response.statusCode();
        long offset = have;
        if (status == 206 && have > 0 && rangeStart(response) != have) {
            log.debug("{}: {} answered Range {} with {}, starting over", ep.describe(), what, have,
                    response.headers().firstValue("Content-Range").orElse("no Content-Range"));
            // Not the range asked for: the bytes cannot be appended, so restart from zero.
            RegistryTransport.discard(response);
            restart(partial, have, progress, what);
            throw new TransferBroken("server answered a different range", null);
        }
        if (status == 200 && have > 0) {
            // The registry (or a proxy) ignored Range and sends the whole blob: start over.
            restart(partial, have, progress, what);
            offset = 0;
        } else if (status == 416) {
            RegistryTransport.discard(response);
            restart(partial, have, progress, what);
            throw new TransferBroken("range " + have + "- not satisfiable", null);
        } else if (status != 200 && status != 206) {
            throw retryableOrRethrow(transport.failure(ep, response, what));
        }
        return stream(ep, response, blob, partial, offset, progress, what);
    }

    private long stream(Endpoint ep, HttpResponse<InputStream> response, Descriptor blob, Path partial, long offset,
            LongConsumer progress, String what) throws TransferBroken {
        long stallMillis = transport.retry().stallTimeout().toMillis();
        AtomicLong lastByte = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        InputStream body = response.body();
        ScheduledFuture<?> watch = WATCHDOG.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastByte.get() > TimeUnit.MILLISECONDS.toNanos(stallMillis) && stalled.compareAndSet(false, true)) {
                RegistryTransport.discard(response); // unblocks the read below
            }
        }, Math.max(stallMillis / 4, 10), Math.max(stallMillis / 4, 10), TimeUnit.MILLISECONDS);
        long written = offset;
        try (InputStream in = body; OutputStream out = Files.newOutputStream(partial, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            byte[] buffer = new byte[BUFFER];
            while (true) {
                int n;
                try {
                    n = in.read(buffer);
                } catch (IOException e) {
                    // Network side: worth a retry. Errors writing the file below are not.
                    throw new TransferBroken(stalled.get() ? "no data for " + stallMillis + " ms" : e.toString(), e);
                }
                if (n < 0) {
                    break;
                }
                lastByte.set(System.nanoTime());
                int keep = (int) Math.min(n, blob.size() - written);
                out.write(buffer, 0, keep);
                written += keep;
                progress.accept(keep);
                if (keep < n) {
                    // More than the descriptor's size: verification would fail on the size, no use reading on.
                    throw mismatchSize(ep, partial, blob, written, written + (n - keep), progress, what);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + partial + " for " + what + ": " + e.getMessage(), e);
        } finally {
            watch.cancel(false);
        }
        if (stalled.get()) {
            throw new TransferBroken("no data for " + stallMillis + " ms", null);
        }
        if (written < blob.size()) {
            // A close-delimited body cut short ends like a complete one; only the count tells.
            throw new TransferBroken("connection closed after " + written + " of " + blob.size() + " bytes", null);
        }
        return written;
    }

    private static void verify(Endpoint ep, Path partial, Descriptor blob, long have, LongConsumer progress, String what) {
        String actual;
        try {
            actual = Digests.ofFile(partial, blob.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + partial + " to verify " + what + ": " + e.getMessage(), e);
        }
        if (have != blob.size() || !actual.equals(blob.digest())) {
            delete(partial, have, progress);
            throw RegistryClient.mismatch(ep, what, blob.digest(), actual);
        }
    }

    private static BlobVerificationException mismatchSize(Endpoint ep, Path partial, Descriptor blob, long written, long got,
            LongConsumer progress, String what) {
        delete(partial, written, progress);
        return new BlobVerificationException(ep.describe() + ": " + what + " is larger than its descriptor's " + blob.size()
                + " bytes (got at least " + got + "); expected digest " + blob.digest() + ", actual unknown", blob.digest(), null);
    }

    private static void delete(Path partial, long reported, LongConsumer progress) {
        try {
            Files.deleteIfExists(partial);
        } catch (IOException e) {
            log.warn("cannot delete unverified blob file {}: {}", partial, e.toString());
        }
        progress.accept(-reported);
    }

    private static void restart(Path partial, long have, LongConsumer progress, String what) {
        try {
            truncate(partial);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot truncate " + partial + " for " + what + ": " + e.getMessage(), e);
        }
        progress.accept(-have);
    }

    private static void truncate(Path partial) throws IOException {
        try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
            channel.truncate(0);
        }
    }

    private static long rangeStart(HttpResponse<InputStream> response) {
        Matcher m = CONTENT_RANGE.matcher(response.headers().firstValue("Content-Range").orElse(""));
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private static long size(Path partial, String what) {
        try {
            return Files.size(partial);
        } catch (IOException e) {
            throw new UncheckedIOException("partial file " + partial + " of " + what + " vanished: " + e.getMessage(), e);
        }
    }

    private static TransferBroken retryableOrRethrow(RegistryException e) {
        if (e.kind() == Kind.UNAVAILABLE) {
            return new TransferBroken(e.getMessage(), e);
        }
        throw e;
    }

    /** A transfer that stopped for a reason a retry may fix: network, stall, 5xx. */
    private static final class TransferBroken extends Exception {
        TransferBroken(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }
}
