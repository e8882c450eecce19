package dev.hypervisor.core.driver;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * What one console viewer has yet to be sent, bounded: a viewer that falls behind loses the
 * oldest output, replaced by one marker line saying how much, and never makes the instance or
 * other viewers wait (a terminal that skips ahead, as a slow serial line would drop). Offered
 * by the console's reader, taken by the viewer's transport when it can send; thread-safe, and
 * nothing is done under its lock but copying references.
 */
public final class ConsoleBacklog {

    /** Bytes a viewer may fall behind before the oldest output goes. */
    public static final int DEFAULT_CAPACITY = 1024 * 1024;
    /** Most bytes one {@link #take} joins into a message. */
    public static final int MAX_CHUNK = 32 * 1024;

    private final int capacity;
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private int headOffset; // bytes of the first chunk already dropped
    private long buffered;
    private long dropped; // not yet reported
    private long droppedTotal;

    public ConsoleBacklog(int capacity) {
        if (capacity < MAX_CHUNK) {
            throw new IllegalArgumentException("capacity below " + MAX_CHUNK + ": " + capacity);
        }
        this.capacity = capacity;
    }

    /** Appends output; drops the oldest beyond the capacity. Never blocks. */
    public synchronized void offer(byte[] data) {
        if (data.length == 0) {
            return;
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
        return out;
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
