package dev.hypervisor.core.driver;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * What one console viewer has yet to be sent, bounded. A viewer that falls behind for a moment
 * (a pause, a busy machine) holds the console's output back, as a slow terminal holds back the
 * program writing to it: {@link #offer} waits for room, so nothing is lost. One still behind
 * after the {@code patience} is left behind: it loses the oldest output, replaced by one marker
 * line saying how much, and makes the instance and other viewers wait no more, until it has
 * caught up (half the backlog sent). Offered by the console's reader, taken by the viewer's
 * transport when it can send; thread-safe, and nothing is done under its lock but copying
 * references.
 */
public final class ConsoleBacklog {

    /** Bytes a viewer may fall behind before the oldest output goes. */
    public static final int DEFAULT_CAPACITY = 1024 * 1024;
    /** Most bytes one {@link #take} joins into a message. */
    public static final int MAX_CHUNK = 32 * 1024;
    /** How long the console's reader waits for a viewer with a full backlog before leaving it behind. */
    public static final Duration DEFAULT_PATIENCE = Duration.ofSeconds(3);

    private final int capacity;
    private final long patienceNanos;
    private boolean leftBehind; // dropping instead of waiting, until the viewer catches up
    private boolean closed;
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private int headOffset; // bytes of the first chunk already dropped
    private long buffered;
    private long dropped; // not yet reported
    private long droppedTotal;

    /** A backlog that drops at once when full: for a viewer nothing may wait on. */
    public ConsoleBacklog(int capacity) {
        this(capacity, Duration.ZERO);
    }

    public ConsoleBacklog(int capacity, Duration patience) {
        if (capacity < MAX_CHUNK) {
            throw new IllegalArgumentException("capacity below " + MAX_CHUNK + ": " + capacity);
        }
        if (patience.isNegative()) {
            throw new IllegalArgumentException("negative patience: " + patience);
        }
        this.capacity = capacity;
        this.patienceNanos = patience.toNanos();
    }

    /**
     * Appends output. When it does not fit, waits up to the patience for the viewer to take
     * enough; past that, or for a viewer already left behind or {@link #close}d, drops the
     * oldest beyond the capacity.
     */
    public synchronized void offer(byte[] data) {
        if (data.length == 0) {
            return;
        }
        if (!leftBehind && !fits(data.length)) {
            long start = System.nanoTime();
            try {
                while (!closed && !fits(data.length)) {
                    long left = patienceNanos - (System.nanoTime() - start);
                    if (left <= 0) {
                        leftBehind = true;
                        break;
                    }
                    wait(left / 1_000_000, (int) (left % 1_000_000));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        chunks.addLast(data);
        buffered += data.length;
        while (buffered > capacity) {
            byte[] head = chunks.peekFirst();
            long excess = buffered - capacity;
            int headLeft = head.length - headOffset;
            if (headLeft <= excess) {
                chunks.removeFirst();
                headOffset = 0;
                buffered -= headLeft;
                dropped += headLeft;
            } else {
                headOffset += (int) excess;
                buffered -= excess;
                dropped += excess;
            }
        }
    }

    /**
     * The next bytes to send, at most {@link #MAX_CHUNK} of them joined from what was offered,
     * preceded by a marker line when output was dropped since the last take; null when empty.
     */
    public synchronized byte[] take() {
        if (chunks.isEmpty() && dropped == 0) {
            return null;
        }
        notifyAll();
        byte[] marker = new byte[0];
        if (dropped > 0) {
            marker = ("\r\n[hypervisord: " + dropped + " bytes of output dropped: this viewer fell behind]\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            droppedTotal += dropped;
            dropped = 0;
        }
        int size = marker.length;
        int room = MAX_CHUNK;
        for (byte[] chunk : chunks) {
            int left = chunk == chunks.peekFirst() ? chunk.length - headOffset : chunk.length;
            if (left > room) {
                size += room;
                break;
            }
            size += left;
            room -= left;
        }
        byte[] out = new byte[size];
        System.arraycopy(marker, 0, out, 0, marker.length);
        int at = marker.length;
        while (at < size) {
            byte[] head = chunks.peekFirst();
            int n = Math.min(head.length - headOffset, size - at);
            System.arraycopy(head, headOffset, out, at, n);
            at += n;
            headOffset += n;
            buffered -= n;
            if (headOffset == head.length) {
                chunks.removeFirst();
                headOffset = 0;
            }
        }
        if (leftBehind && buffered <= capacity / 2) {
            leftBehind = false;
        }
        return out;
    }

    private boolean fits(int length) {
        return buffered == 0 || buffered + length <= capacity;
    }

    /** The viewer is gone: nothing waits for it any more. */
    public synchronized void close() {
        closed = true;
        notifyAll();
    }

    /** Bytes waiting to be taken. */
    public synchronized long buffered() {
        return buffered;
    }

    /** Bytes dropped over this viewer's life, reported or not. */
    public synchronized long droppedBytes() {
        return droppedTotal + dropped;
    }
}
