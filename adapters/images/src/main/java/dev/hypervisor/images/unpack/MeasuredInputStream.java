package dev.hypervisor.images.unpack;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The uncompressed tar stream: hashed for the DiffID and counted against the byte limit as it is
 * read, so a bomb fails after at most one buffer past the limit.
 */
final class MeasuredInputStream extends FilterInputStream {

    private final MessageDigest sha256;
    private final long maxBytes;
    private long count;
    private boolean exceeded;

    MeasuredInputStream(InputStream in, long maxBytes) {
        super(in);
        this.maxBytes = maxBytes;
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            sha256.update((byte) b);
            counted(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = in.read(buffer, offset, length);
        if (n > 0) {
            sha256.update(buffer, offset, n);
            counted(n);
        }
        return n;
    }

    // Skipped bytes are part of the layer too: they must be hashed and counted, not skipped.
    @Override
    public long skip(long n) throws IOException {
        byte[] scratch = new byte[(int) Math.min(n, 64 * 1024)];
        long skipped = 0;
        while (skipped < n) {
            int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readLimit) {}

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }

    /** Reads what follows the tar's end-of-archive blocks, which the DiffID covers as well. */
    void drain() throws IOException {
        while (skip(Long.MAX_VALUE) > 0) {
            // keep going until the end of the stream
        }
    }

    boolean exceeded() {
        return exceeded;
    }

    long count() {
        return count;
    }

    /** The DiffID; call once, after {@link #drain()}. */
    String diffId() {
        return "sha256:" + HexFormat.of().formatHex(sha256.digest());
    }

    private void counted(int n) throws LayerTooLargeException {
        count += n;
        if (count > maxBytes) {
            exceeded = true;
            throw tooLarge(maxBytes);
        }
    }

    static LayerTooLargeException tooLarge(long maxBytes) {
        return new LayerTooLargeException("layer exceeds the limit of " + maxBytes + " uncompressed bytes");
    }
}
